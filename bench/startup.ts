/**
 * bench/startup: how fast the baked node is ready, next to the same binaries
 * bootstrapping at run time and to the floor of kube-apiserver alone.
 *  (a) baked image: `kind-action up`, then the node's own /status readiness times
 *  (b) cold: the unbaked base image running the same bootstrap (PKI, etcd, objects,
 *      CoreDNS) at run time, until it reports the cluster ready
 *  (c) floor: a second kube-apiserver started inside a running node on its warm etcd,
 *      until /readyz answers
 * 5 runs each (BENCH_RUNS), one machine, one run. Also idle memory and image size.
 * Targets: a <= b/10, a <= 3 x c, idle memory <= 1 GiB.
 */
import { PrivilegeMemo, startNode } from '../src/core/cluster/privilege.js';
import { DockerClient } from '../src/core/docker/client.js';
import { resolveEndpoint } from '../src/core/docker/endpoint.js';
import { parseDuration } from '../src/core/duration.js';
import { silentLogger } from '../src/core/logger.js';
import { cli, isolatedEnv, parseJson } from '../test/support/cli.js';
import { docker } from '../test/support/docker.js';
import { execOk } from '../test/support/exec.js';
import { printTable, type Stats, statRow, stats, writeJson } from './lib/report.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const VERSION = process.env.BENCH_K8S ?? '1.35.4';
const IMAGE = `kind-action/node:v${VERSION}`;
const BASE = `kind-action/node-base:v${VERSION}`;

interface NodeStatus {
  docker: { readySeconds?: number };
  kubernetes: { readySeconds?: number };
  checks: Record<string, { readySeconds?: number }>;
}

async function baked(env: NodeJS.ProcessEnv, keepLast: boolean) {
  const r = await cli(['up', '--name', 'bench-startup', '--image', IMAGE, '--json'], env);
  if (r.code !== 0) throw new Error(r.stderr);
  const up = parseJson<{ configUrl: string; containerId: string }>(r);
  const status = (await (await fetch(up.configUrl.replace(/\/config$/, '/status'))).json()) as NodeStatus;
  const api = status.checks.apiserver?.readySeconds ?? status.checks.readyz?.readySeconds;
  const result = {
    docker: status.docker.readySeconds ?? Number.NaN,
    api: api ?? Number.NaN,
    kubernetes: status.kubernetes.readySeconds ?? Number.NaN,
    containerId: up.containerId,
  };
  if (!keepLast) await cli(['down', '--name', 'bench-startup'], env);
  return result;
}

/** (b): the base image runs the bootstrap; the agent logs "cluster ready at <duration>". */
async function cold(client: DockerClient): Promise<number> {
  let id: string | undefined;
  try {
    const node = await startNode(
      client,
      'bench',
      {
        cluster: 'bench-cold',
        session: 'bench',
        image: BASE,
        ports: [],
        env: {},
        cgroupVersion: '1',
        cmd: ['bootstrap'],
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
      const m = /cluster ready at (\S+)/.exec(await client.logs(node.id, 'all'));
      if (m?.[1]) return parseDuration(m[1]) / 1000;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('cold bootstrap did not report ready within 5 minutes');
  } finally {
    if (id) await client.removeContainer(id);
  }
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

async function main(): Promise<void> {
  const env = isolatedEnv();
  const client = await DockerClient.connect(
    resolveEndpoint(process.env, () => undefined),
    silentLogger,
  );
  await execOk('npm', ['run', '--silent', 'build']);
  await cli(['down', '--name', 'bench-startup'], env); // a previous interrupted run
  const a = { docker: [] as number[], api: [] as number[], kubernetes: [] as number[] };
  let last = '';
  for (let i = 0; i < RUNS; i++) {
    const r = await baked(env, i === RUNS - 1);
    a.docker.push(r.docker);
    a.api.push(r.api);
    a.kubernetes.push(r.kubernetes);
    last = r.containerId;
  }
  const memoryMiB = await idleMemory(last);
  const c: number[] = [];
  for (let i = 0; i < RUNS; i++) c.push(await floor(last));
  await cli(['down', '--name', 'bench-startup'], env);
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) b.push(await cold(client));
  const size = (await docker.getImage(IMAGE).inspect()).Size / 2 ** 20;

  const s: Record<string, Stats> = {
    bakedDockerReady: stats(a.docker),
    bakedApiReady: stats(a.api),
    bakedKubernetesReady: stats(a.kubernetes),
    coldKubernetesReady: stats(b),
    apiserverFloor: stats(c),
  };
  const ab = (s.bakedKubernetesReady?.median ?? 0) / (s.coldKubernetesReady?.median ?? 1);
  const ac = (s.bakedKubernetesReady?.median ?? 0) / (s.apiserverFloor?.median ?? 1);
  printTable(
    `startup, Kubernetes v${VERSION} (seconds from container start)`,
    ['what', 'runs', 'min', 'median', 'max'],
    [
      statRow('(a) baked: /docker-ready', s.bakedDockerReady as Stats, 's', 2),
      statRow('(a) baked: API /readyz', s.bakedApiReady as Stats, 's', 2),
      statRow('(a) baked: /kubernetes-ready', s.bakedKubernetesReady as Stats, 's', 2),
      statRow('(b) cold bootstrap: cluster ready', s.coldKubernetesReady as Stats, 's', 2),
      statRow('(c) kube-apiserver alone, warm etcd', s.apiserverFloor as Stats, 's', 2),
    ],
  );
  process.stdout.write(
    `\na/b = ${ab.toFixed(3)} (target <= 0.1: ${ab <= 0.1 ? 'met' : 'NOT met'})` +
      `\na/c = ${ac.toFixed(2)} (target <= 3: ${ac <= 3 ? 'met' : 'NOT met'})` +
      `\nidle memory of the running cluster: ${memoryMiB.toFixed(0)} MiB (target <= 1024: ${memoryMiB <= 1024 ? 'met' : 'NOT met'})` +
      `\nimage size: ${size.toFixed(0)} MiB\n`,
  );
  writeJson('startup', {
    version: VERSION,
    runs: RUNS,
    seconds: s,
    ratios: { ab, ac },
    idleMemoryMiB: memoryMiB,
    imageSizeMiB: size,
  });
}

await main();
