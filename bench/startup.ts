/**
 * bench/startup: how fast the baked node is ready, next to the same binaries
 * bootstrapping at run time and to the floor of kube-apiserver alone.
 *  (a) baked image: `kind-action up`, then the node's own /status readiness times
 *  (b) cold, two baselines, each until the node logs "cluster ready at <duration>"
 *      (the same readiness checks as /kubernetes-ready, image/agent/checks.go):
 *      own:     the unbaked base image running our bootstrap (PKI, etcd, objects,
 *               CoreDNS) at run time
 *      kubeadm: the same binaries brought up by the real `kubeadm init`, the way kind
 *               starts a node: control-plane images preloaded in containerd, a kubelet
 *               waiting for kubeadm's configuration, then a CNI and the node untainted
 *               (bench/kubeadm/: `kind-agent kubeadm`, a mode only the benchmark's build of the
 *               agent has)
 *  (c) floor: a second kube-apiserver started inside a running node on its warm etcd,
 *      until /readyz answers
 *  (w) wall-clock: `kind-action up` as a user waits for it, from process start to exit 0
 *      with a usable kubeconfig written (image local, container created, ready)
 * (a), (c), (w), idle memory and image size for every supported Kubernetes version
 * (versions.json; BENCH_K8S=1.37,1.36 picks some); the cold baselines (b) for the
 * default version (BENCH_COLD_K8S), which is what they are compared with; BENCH_COLD=0
 * leaves the cold baselines out.
 * (addons) for the default version: (a) and idle memory with and without the storage
 *     provisioner and the NetworkPolicy controller (bench/lib/addons.ts; BENCH_ADDONS=0 leaves it out)
 * 5 runs each (BENCH_RUNS), one machine, one run.
 * Targets: a <= b/10 (reported against both baselines), a/c <= 1.5, image <= 560 MiB and
 * idle memory <= 450 MiB for every version.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseImageTag, stageBakeInputs } from '../src/core/bake/bake.js';
import type { NodeSpec } from '../src/core/cluster/create-options.js';
import { PrivilegeMemo, startNode } from '../src/core/cluster/privilege.js';
import { DockerClient } from '../src/core/docker/client.js';
import { resolveEndpoint } from '../src/core/docker/endpoint.js';
import { parseDuration } from '../src/core/duration.js';
import {
  DEFAULT_KUBERNETES,
  KUBERNETES_RELEASES,
  KUBERNETES_VERSIONS,
  resolveKubernetesVersion,
} from '../src/core/image/versions.js';
import { silentLogger } from '../src/core/logger.js';
import { readRunEnv } from '../src/core/run-env.js';
import { cli, isolatedEnv, parseJson } from '../test/support/cli.js';
import { docker } from '../test/support/docker.js';
import { exec, execOk } from '../test/support/exec.js';
import { kubeBinDir } from '../test/support/kube-bin.js';
import { buildLabelled, inputsHash, isBuilt } from '../test/support/local-image.js';
import useTempRoot from '../test/support/temp-root.js';
import { type AddonCost, addonCost, reportAddonCost, type Started } from './lib/addons.js';
import { printTable, type Stats, statRow, stats, writeJson } from './lib/report.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
/** Every version measured for (a), (c), (w), memory and size. */
const VERSIONS = process.env.BENCH_K8S
  ? process.env.BENCH_K8S.split(',').map((v) => resolveKubernetesVersion(v))
  : KUBERNETES_RELEASES.map((r) => r.version);
/** The version the cold baselines (b) run. */
const VERSION = resolveKubernetesVersion(
  process.env.BENCH_COLD_K8S ?? KUBERNETES_VERSIONS[DEFAULT_KUBERNETES],
);
const BASE = baseImageTag(VERSION);
const TARGETS = { ac: 1.5, imageMiB: 560, idleMiB: 450 };
/** Ready lines and failures the node logs (image/agent). */
const READY = /\[agent\] cluster ready at (\S+)/;
const FAILED = /\[agent\] error: .*/;
const SEEDED = /\[agent\] image store seeded in (\S+)/;
/** The Kubernetes binaries the images were built from (the bake copies CoreDNS in from here). */
async function binDir(version: string): Promise<string> {
  if (process.env.KUBE_BIN_DIR) return process.env.KUBE_BIN_DIR;
  return kubeBinDir(version, {
    env: { ...process.env, KIND_ACTION_CACHE: readRunEnv(process.env).cacheDir },
  });
}

interface NodeStatus {
  docker: { readySeconds?: number };
  kubernetes: { readySeconds?: number };
  checks: Record<string, { readySeconds?: number }>;
}

async function baked(env: NodeJS.ProcessEnv, image: string, keepLast: boolean) {
  const started = performance.now();
  const r = await cli(['up', '--name', 'bench-startup', '--image', image, '--json'], env);
  const wall = (performance.now() - started) / 1000;
  if (r.code !== 0) throw new Error(r.stderr);
  const up = parseJson<{ configUrl: string; containerId: string }>(r);
  const status = (await (await fetch(up.configUrl.replace(/\/config$/, '/status'))).json()) as NodeStatus;
  const api = status.checks.apiserver?.readySeconds ?? status.checks.readyz?.readySeconds;
  const result = {
    wall,
    docker: status.docker.readySeconds ?? Number.NaN,
    api: api ?? Number.NaN,
    kubernetes: status.kubernetes.readySeconds ?? Number.NaN,
    containerId: up.containerId,
  };
  if (!keepLast) await cli(['down', '--name', 'bench-startup'], env);
  return result;
}

interface ColdRun {
  /** seconds from the node's start to "cluster ready at" */
  ready: number;
  /** of which: unpacking the image-store seed, when the image has one */
  seed: number;
}

/**
 * (b): start `image` with `cmd` and wait for the node to log "cluster ready at
 * <duration>" (measured by the node itself from its start, like (a)'s /status).
 * On failure the node's log is printed before the container is removed.
 */
async function cold(
  client: DockerClient,
  what: string,
  image: string,
  cmd: string[],
  copyIn?: NodeSpec['copyIn'],
): Promise<ColdRun> {
  let id: string | undefined;
  try {
    const node = await startNode(
      client,
      'bench',
      {
        cluster: `ka-kubeadm-bench-${what}`,
        session: 'bench',
        image,
        ports: [],
        env: {},
        // the daemon's own cgroup version, as `up` and the bake use it
        cgroupVersion: (await client.info()).CgroupVersion === '2' ? '2' : '1',
        cmd,
        ...(copyIn ? { copyIn } : {}),
      },
      'auto',
      new PrivilegeMemo(undefined),
      silentLogger,
      (cid) => {
        id = cid;
      },
    );
    id = node.id;
    for (let i = 0; i < 1200; i++) {
      const logs = await client.logs(node.id, 'all');
      const m = READY.exec(logs);
      if (m?.[1]) {
        const seed = SEEDED.exec(logs)?.[1];
        return {
          ready: parseDuration(m[1], 'ready') / 1000,
          seed: seed ? parseDuration(seed, 'seeded') / 1000 : 0,
        };
      }
      const failed = FAILED.exec(logs);
      if (failed) throw new Error(`${what}: ${failed[0]}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${what}: the node did not report the cluster ready within 5 minutes`);
  } catch (err) {
    if (id) {
      const logs = await exec('docker', ['logs', '--tail', '300', id]);
      process.stderr.write(
        `\n--- ${what} (${image}): last lines of the node's log ---\n${logs.stdout}${logs.stderr}\n`,
      );
    }
    throw err;
  } finally {
    if (id) await client.removeContainer(id);
  }
}

/**
 * The cold runs time the bootstrap, not a user's hooks: when the base image
 * was last built with before-/after-cluster hooks (a bake with hooks tags it
 * too), they run on a copy without them.
 */
async function coldBase(): Promise<string> {
  const listing = ['-c', 'ls -A /kind/hooks 2>/dev/null || true'];
  const hooks = (await execOk('docker', ['run', '--rm', '--entrypoint', 'sh', BASE, ...listing])).trim();
  if (!hooks) return BASE;
  const tag = `ka-kubeadm/node-base-nohooks:v${VERSION}`;
  process.stderr.write(
    `note: ${BASE} carries hooks (${hooks.split('\n').join(', ')}); (b-own) runs ${tag}\n`,
  );
  const hash = inputsHash((await execOk('docker', ['image', 'inspect', '-f', '{{.Id}}', BASE])).trim());
  if (await isBuilt(tag, hash)) return tag;
  const previous = (await execOk('docker', ['images', '-q', tag])).trim();
  const ctx = await mkdtemp(join(tmpdir(), 'ka-kubeadm-nohooks-'));
  try {
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${BASE}\nRUN rm -rf /kind/hooks/*\n`);
    await buildLabelled(ctx, tag, hash);
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
  if (previous) await exec('docker', ['rmi', previous]);
  return tag;
}

/**
 * (a) runs the baked image and (b-own) the base it was baked from; bake both
 * again when either is missing (bench:action-cache removes the base it built).
 */
async function ensureImages(client: DockerClient, env: NodeJS.ProcessEnv, version: string): Promise<void> {
  const image = `kind-action/node:v${version}`;
  const base = baseImageTag(version);
  const present = await Promise.all([image, base].map((ref) => client.imageExists(ref)));
  if (present.every(Boolean)) return;
  process.stderr.write(`baking ${image} and its base ${base} first (one is missing)\n`);
  const args = ['build', '--k8s-version', version, '--kube-source', 'source', '--tag', image, '--force'];
  const r = await cli(args, env);
  if (r.code !== 0) throw new Error(`kind-action ${args.join(' ')} failed:\n${r.stderr.slice(-4000)}`);
}

/** The kubeadm baseline's node image, prepared (and cached) outside the timed window. */
async function kubeadmImage(): Promise<string> {
  const r = await exec('bash', ['bench/kubeadm/prepare.sh', VERSION], { stdin: 'ignore' });
  if (r.code !== 0)
    throw new Error(`bench/kubeadm/prepare.sh failed:\n${r.stderr.split('\n').slice(-60).join('\n')}`);
  const tag = r.stdout.trim().split('\n').pop();
  if (!tag) throw new Error('bench/kubeadm/prepare.sh printed no image');
  return tag;
}

/** (c): time a second kube-apiserver on the running node's warm etcd until /readyz. */
const FLOOR_SCRIPT = `
pid=$(pgrep -xo kube-apiserver)
# the running apiserver's flags, without its port (given as "--secure-port N" or "--secure-port=N")
args=$(tr '\\0' '\\n' < /proc/$pid/cmdline | tail -n +2 | awk 'skip { skip = 0; next } /^--secure-port=/ { next } /^--secure-port$/ { skip = 1; next } { print }')
start=$(date +%s%N)
kube-apiserver $args --secure-port=18443 >/tmp/apiserver-floor.log 2>&1 &
p=$!
deadline=$(( $(date +%s) + 120 ))
until kubectl --kubeconfig /etc/kubernetes/admin.conf --server https://127.0.0.1:18443 get --raw /readyz >/dev/null 2>&1; do
  if [ "$(date +%s)" -gt "$deadline" ] || ! kill -0 $p 2>/dev/null; then tail -5 /tmp/apiserver-floor.log >&2; exit 1; fi
  sleep 0.05
done
end=$(date +%s%N)
kill $p; wait $p 2>/dev/null
echo $(( (end - start) / 1000000 ))
`;

async function floor(containerId: string): Promise<number> {
  const out = await execOk('docker', ['exec', containerId, 'bash', '-c', FLOOR_SCRIPT]);
  return Number(out.trim().split('\n').pop()) / 1000;
}

async function idleMemory(containerId: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 30_000));
  const s = (await docker.getContainer(containerId).stats({ stream: false })) as {
    memory_stats: { usage?: number; stats?: Record<string, number> };
  };
  const cache = s.memory_stats.stats?.total_inactive_file ?? s.memory_stats.stats?.inactive_file ?? 0;
  return ((s.memory_stats.usage ?? 0) - cache) / 2 ** 20;
}

/** (a) and idle memory of two images, their runs alternating. */
async function alternating(env: NodeJS.ProcessEnv, images: [string, string]): Promise<[Started, Started]> {
  const ready: [number[], number[]] = [[], []];
  for (let i = 0; i < RUNS; i++) {
    for (const k of [0, 1] as const) ready[k].push((await baked(env, images[k], false)).kubernetes);
  }
  const idle: number[] = [];
  for (const image of images) {
    const r = await baked(env, image, true);
    idle.push(await idleMemory(r.containerId));
    await cli(['down', '--name', 'bench-startup'], env);
  }
  return [
    { ready: stats(ready[0]).median, idleMiB: idle[0] ?? Number.NaN },
    { ready: stats(ready[1]).median, idleMiB: idle[1] ?? Number.NaN },
  ];
}

/** The addons' row, for the default version. */
async function addons(env: NodeJS.ProcessEnv, run: VersionRun | undefined): Promise<AddonCost | undefined> {
  if (process.env.BENCH_ADDONS === '0' || !run) return undefined;
  const cost = await addonCost(run.version, `kind-action/node:v${run.version}`, (images) =>
    alternating(env, images),
  );
  reportAddonCost(cost, RUNS);
  return cost;
}

interface VersionRun {
  version: string;
  seconds: Record<
    'wallClockUp' | 'bakedDockerReady' | 'bakedApiReady' | 'bakedKubernetesReady' | 'apiserverFloor',
    Stats
  >;
  ac: number;
  idleMemoryMiB: number;
  imageSizeMiB: number;
}

/** (w), (a), (c), idle memory and image size of one version's baked image. */
async function measureVersion(
  client: DockerClient,
  env: NodeJS.ProcessEnv,
  version: string,
): Promise<VersionRun> {
  const image = `kind-action/node:v${version}`;
  await ensureImages(client, env, version);
  const a = { wall: [] as number[], docker: [] as number[], api: [] as number[], kubernetes: [] as number[] };
  let last = '';
  for (let i = 0; i < RUNS; i++) {
    const r = await baked(env, image, i === RUNS - 1);
    a.wall.push(r.wall);
    a.docker.push(r.docker);
    a.api.push(r.api);
    a.kubernetes.push(r.kubernetes);
    last = r.containerId;
  }
  const idleMemoryMiB = await idleMemory(last);
  const c: number[] = [];
  for (let i = 0; i < RUNS; i++) c.push(await floor(last));
  await cli(['down', '--name', 'bench-startup'], env);
  const seconds = {
    wallClockUp: stats(a.wall),
    bakedDockerReady: stats(a.docker),
    bakedApiReady: stats(a.api),
    bakedKubernetesReady: stats(a.kubernetes),
    apiserverFloor: stats(c),
  };
  const imageSizeMiB = (await docker.getImage(image).inspect()).Size / 2 ** 20;
  const ac = seconds.bakedKubernetesReady.median / seconds.apiserverFloor.median;
  return { version, seconds, ac, idleMemoryMiB, imageSizeMiB };
}

/** The per-version table and each version's verdicts against the targets. */
function reportVersions(perVersion: VersionRun[]): void {
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  printTable(
    `startup per Kubernetes version (medians of ${RUNS}; a = /kubernetes-ready from container start, w = wall-clock of kind-action up)`,
    ['version', 'w: up', 'a: docker', 'a: API', 'a: ready', 'c: floor', 'a/c', 'image', 'idle memory'],
    perVersion.map((v) => [
      `v${v.version}`,
      `${v.seconds.wallClockUp.median.toFixed(2)}s`,
      `${v.seconds.bakedDockerReady.median.toFixed(2)}s`,
      `${v.seconds.bakedApiReady.median.toFixed(2)}s`,
      `${v.seconds.bakedKubernetesReady.median.toFixed(2)}s`,
      `${v.seconds.apiserverFloor.median.toFixed(2)}s`,
      v.ac.toFixed(2),
      `${v.imageSizeMiB.toFixed(0)} MiB`,
      `${v.idleMemoryMiB.toFixed(0)} MiB`,
    ]),
  );
  for (const v of perVersion) {
    process.stdout.write(
      `v${v.version}: a/c ${v.ac.toFixed(2)} (<= ${TARGETS.ac}: ${met(v.ac <= TARGETS.ac)}), ` +
        `image ${v.imageSizeMiB.toFixed(0)} MiB (<= ${TARGETS.imageMiB}: ${met(v.imageSizeMiB <= TARGETS.imageMiB)}), ` +
        `idle ${v.idleMemoryMiB.toFixed(0)} MiB (<= ${TARGETS.idleMiB}: ${met(v.idleMemoryMiB <= TARGETS.idleMiB)})\n`,
    );
  }
}

async function main(): Promise<void> {
  const env = isolatedEnv();
  const client = await DockerClient.connect(
    resolveEndpoint(process.env, () => undefined),
    silentLogger,
  );
  await execOk('npm', ['run', '--silent', 'build']);
  await cli(['down', '--name', 'bench-startup'], env); // a previous interrupted run
  const perVersion: VersionRun[] = [];
  for (const version of VERSIONS) perVersion.push(await measureVersion(client, env, version));
  reportVersions(perVersion);
  const addonRow = await addons(
    env,
    perVersion.find((v) => v.version === VERSION),
  );
  if (process.env.BENCH_COLD === '0') {
    writeJson('startup', {
      runs: RUNS,
      perVersion,
      targets: TARGETS,
      addons: addonRow,
      cold: 'not run (BENCH_COLD=0)',
    });
    return;
  }
  const coldVersion =
    perVersion.find((v) => v.version === VERSION) ?? (await measureVersion(client, env, VERSION));

  await ensureImages(client, env, VERSION);
  const kubeadm = await kubeadmImage();
  const base = await coldBase();
  const b: ColdRun[] = [];
  const bk: ColdRun[] = [];
  const inputs = await stageBakeInputs(await binDir(VERSION));
  try {
    for (let i = 0; i < RUNS; i++) {
      b.push(await cold(client, 'own', base, ['bootstrap'], inputs));
      bk.push(await cold(client, 'kubeadm', kubeadm, ['kubeadm']));
    }
  } finally {
    await rm(inputs.dir, { recursive: true, force: true });
  }

  const s: Record<string, Stats> = {
    ...coldVersion.seconds,
    coldKubernetesReady: stats(b.map((r) => r.ready)),
    kubeadmKubernetesReady: stats(bk.map((r) => r.ready)),
    kubeadmStoreSeed: stats(bk.map((r) => r.seed)),
    // kind's node image carries its containerd store in the image itself
    // (Docker copies it into the node's volume before the container starts),
    // so this is the kubeadm baseline as kind would time it
    kubeadmKubernetesReadyWithoutSeed: stats(bk.map((r) => r.ready - r.seed)),
  };
  const median = (k: string): number => s[k]?.median ?? Number.NaN;
  const ratio = (x: number): { value: number; met: boolean } => ({ value: x, met: x <= 0.1 });
  const ab = ratio(median('bakedKubernetesReady') / median('coldKubernetesReady'));
  const abKubeadm = ratio(median('bakedKubernetesReady') / median('kubeadmKubernetesReady'));
  const abKubeadmNoSeed = ratio(median('bakedKubernetesReady') / median('kubeadmKubernetesReadyWithoutSeed'));
  printTable(
    `startup, Kubernetes v${VERSION} against cold bootstraps (seconds from container start)`,
    ['what', 'runs', 'min', 'median', 'max'],
    [
      statRow('(w) kind-action up, wall-clock to exit', s.wallClockUp as Stats, 's', 2),
      statRow('(a) baked: /docker-ready', s.bakedDockerReady as Stats, 's', 2),
      statRow('(a) baked: API /readyz', s.bakedApiReady as Stats, 's', 2),
      statRow('(a) baked: /kubernetes-ready', s.bakedKubernetesReady as Stats, 's', 2),
      statRow('(b-own) cold, our bootstrap: cluster ready', s.coldKubernetesReady as Stats, 's', 2),
      statRow('(b-kubeadm) cold, kubeadm init: cluster ready', s.kubeadmKubernetesReady as Stats, 's', 2),
      statRow('  of which: image store seed unpacked', s.kubeadmStoreSeed as Stats, 's', 2),
      statRow('  without the seed unpack', s.kubeadmKubernetesReadyWithoutSeed as Stats, 's', 2),
      statRow('(c) kube-apiserver alone, warm etcd', s.apiserverFloor as Stats, 's', 2),
    ],
  );
  const verdict = (r: { value: number; met: boolean }): string =>
    `${r.value.toFixed(3)} (target <= 0.1: ${r.met ? 'met' : 'NOT met'})`;
  process.stdout.write(
    `\na/b-own     = ${verdict(ab)}` +
      `\na/b-kubeadm = ${verdict(abKubeadm)}` +
      `\na/b-kubeadm without its seed unpack = ${verdict(abKubeadmNoSeed)}\n`,
  );
  writeJson('startup', {
    version: VERSION,
    runs: RUNS,
    seconds: s,
    perVersion,
    targets: TARGETS,
    ratios: {
      ab: ab.value,
      abOwn: ab.value,
      abKubeadm: abKubeadm.value,
      abKubeadmWithoutSeed: abKubeadmNoSeed.value,
      ac: coldVersion.ac,
      targetAbMet: { own: ab.met, kubeadm: abKubeadm.met, kubeadmWithoutSeed: abKubeadmNoSeed.met },
    },
    baselines: {
      own: `${base} running kind-agent bootstrap`,
      kubeadm: `${kubeadm} running kind-agent kubeadm (kubeadm init --skip-phases=preflight, images preloaded)`,
    },
    idleMemoryMiB: coldVersion.idleMemoryMiB,
    imageSizeMiB: coldVersion.imageSizeMiB,
    addons: addonRow,
  });
}

// Every temporary file (private HOMEs, job files, build contexts) under one
// directory, removed when the benchmark exits.
process.on('exit', useTempRoot());
await main();
