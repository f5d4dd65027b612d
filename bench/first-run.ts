/**
 * bench/first-run: where a first run's node image comes from, and what each
 * source costs, as `kind-action up` wall clock to a ready cluster:
 *   1. pull: the image is in a registry (go-containerregistry's, on a random
 *      127.0.0.1 port: test/fixtures/registry) and none of its layers is on
 *      the daemon → `up --repository` pulls it, starts, waits for ready
 *   2. local: the same image now present → `up --repository` starts only
 *   3. cache: the image absent again → the node-image cache's restore (a
 *      local directory store: fetch, verify, `docker import`) then `up --image`
 * "None of its layers": the pushed image is the baked node re-layered the way
 * the cache stores it (`docker export` → one layer, configuration kept), so
 * its layer exists nowhere else on the daemon; removing its tags removes it.
 * The page cache is dropped before runs 1 and 3 (root). One run each.
 * Loopback is far faster than a real registry: on a runner, the pull moves
 * the same bytes over the network (ghcr.io from GitHub's runners is fast,
 * but not 127.0.0.1). Target: pull path ≤ 3 × the local start.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreImage, saveImage } from '../src/core/cache/image-cache.js';
import { LocalDirectoryStore } from '../src/core/cache/local-store.js';
import { DockerClient } from '../src/core/docker/client.js';
import { DEFAULT_KUBERNETES, localNodeImage, resolveKubernetesVersion } from '../src/core/image/versions.js';
import { silentLogger } from '../src/core/logger.js';
import { cli, isolatedEnv, parseJson } from '../test/support/cli.js';
import { execOk } from '../test/support/exec.js';
import { startRegistry } from '../test/support/registry.js';
import useTempRoot from '../test/support/temp-root.js';
import { printTable, timeIt, writeJson } from './lib/report.js';

const VERSION = resolveKubernetesVersion(process.env.BENCH_K8S ?? DEFAULT_KUBERNETES);
const NODE = localNodeImage(VERSION);
const ALIAS = `ka-bench/first-run:v${VERSION}`;
const NAME = 'bench-first';

interface Run {
  wall: number;
  readySeconds: number;
  imageSource: string;
  phases: Record<string, number>;
}

async function up(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  let out = '';
  const wall = await timeIt(async () => {
    const r = await cli(
      ['up', '--name', NAME, '--k8s-version', VERSION, '--timeout', '300s', '--json', ...args],
      env,
    );
    if (r.code !== 0) throw new Error(`up failed (${r.code}):\n${r.stderr.slice(-4000)}`);
    out = r.stdout;
  });
  await execOk(process.execPath, ['dist/cli/index.js', 'down', '--name', NAME], { env });
  const json = parseJson<{ readySeconds: number; imageSource: string; phases: Record<string, number> }>({
    code: 0,
    signal: null,
    stdout: out,
    stderr: '',
  });
  return { wall, readySeconds: json.readySeconds, imageSource: json.imageSource, phases: json.phases };
}

async function dropPageCache(): Promise<void> {
  await execOk('sync', []);
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

async function removeTag(ref: string): Promise<void> {
  await execOk('docker', ['rmi', ref]).catch(() => '');
}

async function main(): Promise<void> {
  await execOk('npm', ['run', '--silent', 'build']);
  const env = isolatedEnv();
  const docker = await DockerClient.connect(
    { kind: 'socket', socketPath: '/var/run/docker.sock', source: 'bench' },
    silentLogger,
  );
  if (!(await docker.imageExists(NODE))) throw new Error(`${NODE} is not baked here (kind-action build)`);
  const storeDir = mkdtempSync(join(tmpdir(), 'ka-bench-first-run-'));
  const store = new LocalDirectoryStore(storeDir);
  const workDir = join(storeDir, '.work');
  const toolPath = process.env.PATH ?? '';
  const registry = await startRegistry({ publish: true });
  const repository = `127.0.0.1:${registry.hostPort}/ka-bench/node`;
  const pushed = `${repository}:v${VERSION}`;
  try {
    // The image as the cache stores it: one layer of its own, the node's configuration.
    await execOk('docker', ['tag', NODE, ALIAS]);
    const saved = await saveImage(docker, ALIAS, 'first-run', { store, workDir, toolPath }, silentLogger);
    if (!saved.saved) throw new Error(`save: ${saved.reason}`);
    await removeTag(ALIAS);
    const restore = { store, key: 'first-run', prefixes: [], workDir, toolPath };
    const seeded = await restoreImage(docker, ALIAS, restore, silentLogger);
    if (!seeded.hit) throw new Error(`restore: ${seeded.reason}`);
    await execOk('docker', ['tag', ALIAS, pushed]);
    await execOk('docker', ['push', '--quiet', pushed]);
    const bytes = Number((await execOk('docker', ['image', 'inspect', '-f', '{{.Size}}', ALIAS])).trim());
    await removeTag(ALIAS);
    await removeTag(pushed);
    if (await docker.imageExists(pushed)) throw new Error(`${pushed} is still on the daemon`);

    await dropPageCache();
    const pull = await up(['--repository', repository], env);
    const local = await up(['--repository', repository], env);
    await removeTag(pushed);
    await dropPageCache();
    let restoreSeconds = 0;
    const cacheUp = await timeIt(async () => {
      restoreSeconds = await timeIt(async () => {
        const r = await restoreImage(docker, ALIAS, restore, silentLogger);
        if (!r.hit) throw new Error(`restore: ${r.reason}`);
      });
      cache = await up(['--image', ALIAS], env);
    });
    if (!cache) throw new Error('no cache run');
    const rows: [string, number, Run][] = [
      ['1 pull from the registry + start + ready', pull.wall, pull],
      ['2 image local: start + ready', local.wall, local],
      ['3 cache restore + start + ready', cacheUp, cache],
    ];
    const f = (n: number): string => `${n.toFixed(2)}s`;
    printTable(
      `first-run (Kubernetes ${VERSION}; image ${(bytes / 1e6).toFixed(0)} MB; registry on 127.0.0.1 — loopback, far faster than a real registry; one run each)`,
      ['run', 'wall clock', 'image step', 'ready-seconds', 'source'],
      rows.map(([label, wall, r]) => [
        label,
        f(wall),
        f(label.startsWith('3') ? restoreSeconds : (r.phases.image ?? 0)),
        f(r.readySeconds),
        r.imageSource,
      ]),
    );
    const ratios = {
      pullToLocal: pull.wall / local.wall,
      cacheToLocal: cacheUp / local.wall,
      pullToCache: pull.wall / cacheUp,
    };
    process.stdout.write(
      `\npull / local: ${ratios.pullToLocal.toFixed(2)}x  (target <= 3x: ${ratios.pullToLocal <= 3 ? 'met' : 'NOT met'})\n` +
        `cache / local: ${ratios.cacheToLocal.toFixed(2)}x; pull / cache: ${ratios.pullToCache.toFixed(2)}x\n`,
    );
    writeJson('first-run', {
      k8s: VERSION,
      imageMB: Math.round(bytes / 1e6),
      registry:
        'go-containerregistry pkg/registry in a container, 127.0.0.1 (loopback: faster than a real registry)',
      seconds: {
        pull: {
          wall: pull.wall,
          image: pull.phases.image ?? 0,
          readySeconds: pull.readySeconds,
          source: pull.imageSource,
        },
        local: {
          wall: local.wall,
          image: local.phases.image ?? 0,
          readySeconds: local.readySeconds,
          source: local.imageSource,
        },
        cache: { wall: cacheUp, restore: restoreSeconds, readySeconds: cache.readySeconds },
      },
      ratios,
      target: { pullToLocal: 3 },
      met: ratios.pullToLocal <= 3,
    });
  } finally {
    await execOk(process.execPath, ['dist/cli/index.js', 'down', '--name', NAME], { env }).catch(() => '');
    await removeTag(ALIAS);
    await removeTag(pushed);
    await registry.stop();
    rmSync(storeDir, { recursive: true, force: true });
  }
}

let cache: Run | undefined;

// Every temporary file (private HOMEs, the cache store) under one directory, removed at exit.
process.on('exit', useTempRoot());
await main();
