/**
 * bench/action-cache: what the node-image cache buys the GitHub Action.
 * Three jobs on one machine, each the real `dist/action/main.js` and
 * `post.js` processes with a runner's files:
 *   1. first run: nothing local, nothing cached (Docker's build cache
 *      included: the base image's layers are built afresh, as on a new
 *      runner; the Kubernetes binaries come from KIND_ACTION_CACHE, as a
 *      release download would) → bake, start; post saves
 *   2. second run: the image removed locally → restore + verify + import, start
 *   3. local: the image already present → start only
 * The cache is the GitHub Actions cache store (@actions/cache) talking HTTP
 * to act's cache server on 127.0.0.1 (test/fixtures/cache-server, the same
 * server as the integration tests), so the archive travels through a real
 * cache transport. Before each run 2 the page cache is dropped (root), so
 * the server reads the entry from disk as a cache service's would not be in
 * the runner's memory either. A fresh after-cluster hook makes the key new,
 * so run 1 always bakes. Main is compared with main only: second main ≤
 * first main / 10 and ≤ 1.5 × local main; post (the save) is reported apart.
 * Runs 2 and 3 alternate BENCH_RUNS times (default 3) and their medians are
 * compared. Before each run 2 the baked image and the base image run 1 built
 * are both removed, as on a fresh runner (`docker import` writes the whole
 * filesystem as a new layer either way).
 */

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseImageTag } from '../src/core/bake/bake.js';
import { DEFAULT_KUBERNETES, resolveKubernetesVersion } from '../src/core/image/versions.js';
import { readRunEnv } from '../src/core/run-env.js';
import { type RunnerJob, readCommandFile, runMain, runnerJob, runPost } from '../test/support/action.js';
import { type RunningCacheServer, startCacheServer } from '../test/support/cache-server.js';
import { execOk } from '../test/support/exec.js';
import useTempRoot from '../test/support/temp-root.js';
import { printTable, stats, timeIt, writeJson } from './lib/report.js';

const K8S = process.env.BENCH_K8S ?? DEFAULT_KUBERNETES;
const SOURCE = process.env.BENCH_KUBE_SOURCE ?? 'source';
const CACHE = readRunEnv(process.env).cacheDir;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

interface JobTimes {
  main: number;
  post: number;
  readySeconds: number;
  cacheHit: string;
  image: string;
  /** main's phase timings, from its job summary (image = resolve, restore, import or bake) */
  phases: Record<string, number>;
  log: string;
  postLog: string;
}

async function job(
  inputs: Record<string, string>,
  root: string,
  server: RunningCacheServer,
  label: string,
): Promise<JobTimes> {
  // One workspace for every job, as on a runner: @actions/cache stores paths relative to it.
  const j: RunnerJob = runnerJob({ KIND_ACTION_CACHE: CACHE, GITHUB_WORKSPACE: root, ...server.env }, root);
  let mainLog = '';
  const main = await timeIt(async () => {
    const r = await runMain(j, inputs);
    mainLog = r.stdout + r.stderr;
    if (r.code !== 0) throw new Error(`main failed (${r.code}):\n${mainLog.slice(-4000)}`);
  });
  const out = readCommandFile(j.files.output);
  const phases = summaryPhases(readFileSync(j.files.summary, 'utf8'));
  let postLog = '';
  const post = await timeIt(async () => {
    const r = await runPost(j, inputs);
    postLog = r.stdout + r.stderr;
    if (r.code !== 0 || /::warning::/.test(r.stdout)) throw new Error(`post: ${postLog}`);
  });
  rmSync(j.dir, { recursive: true, force: true });
  process.stdout.write(
    `${label}: main ${main.toFixed(2)}s, post ${post.toFixed(2)}s, cache-hit ${out['cache-hit']}, ready ${out['ready-seconds']}s; ` +
      `phases ${Object.entries(phases)
        .map(([k, v]) => `${k} ${v}s`)
        .join(', ')}\n`,
  );
  return {
    main,
    post,
    readySeconds: Number(out['ready-seconds']),
    cacheHit: out['cache-hit'] ?? '',
    image: out.image ?? '',
    phases,
    log: mainLog,
    postLog,
  };
}

async function main(): Promise<void> {
  await execOk('npm', ['run', '--silent', 'build']);
  // Run from a copy of the checkout: the recipe (image/) is part of the cache
  // key, and the worktree may change while the bench runs.
  const root = mkdtempSync(join(tmpdir(), 'ka-bench-checkout-'));
  // What a checkout of the Action holds is what the package ships (package.json `files`).
  const shipped = (JSON.parse(readFileSync('package.json', 'utf8')) as { files: string[] }).files;
  for (const part of shipped) cpSync(part, join(root, part), { recursive: true });
  // "Nothing cached" includes Docker's build cache: a label after FROM makes
  // every layer of the copy's base image build afresh, as on a new runner.
  const dockerfile = join(root, 'image', 'Dockerfile');
  writeFileSync(
    dockerfile,
    readFileSync(dockerfile, 'utf8').replace(
      /^(FROM .*)$/m,
      `$1\nLABEL io.kind-action.bench-run=${Date.now()}`,
    ),
  );
  const hookDir = mkdtempSync(join(tmpdir(), 'ka-bench-hook-'));
  const hook = join(hookDir, 'after.sh');
  writeFileSync(hook, `#!/bin/sh\n# bench ${Date.now()}\ntrue\n`, { mode: 0o755 });
  const inputs = {
    name: 'bench-cache',
    'k8s-version': K8S,
    'kube-source': SOURCE,
    'after-cluster': hook,
    wait: '300s',
  };
  let image = '';
  // Run 1 rebuilds the base image and the second runs remove it: a base image
  // already on this machine is kept under another tag and put back at the end.
  const putBackBase = await keepImage(baseImageTag(resolveKubernetesVersion(K8S)));
  const server = await startCacheServer();
  try {
    const first = await job(inputs, root, server, 'first');
    image = first.image;
    const saved = /saved \S+ to the (.+?) as (\S+) \(/.exec(first.postLog);
    if (saved?.[1] !== 'GitHub Actions cache')
      throw new Error(`post did not save the image to the Actions cache:\n${first.postLog}`);
    // Second and local runs alternate, RUNS times each, so a busy moment of
    // the machine does not land on one side only; medians are compared.
    const seconds: JobTimes[] = [];
    const locals: JobTimes[] = [];
    for (let i = 1; i <= RUNS; i++) {
      await execOk('docker', ['rmi', image]);
      await removeBaseImage(first.image);
      await dropPageCache();
      seconds.push(await job(inputs, root, server, `second #${i}`));
      locals.push(await job(inputs, root, server, `local #${i}`));
    }
    const second = stats(seconds.map((t) => t.main));
    const local = stats(locals.map((t) => t.main));
    const ratioFirst = second.median / first.main;
    const ratioLocal = second.median / local.median;
    const restores = seconds.map((t) => parseRestore(t.log));
    const restore = {
      archiveMB: restores[0]?.archiveMB ?? 0,
      codec: restores[0]?.codec ?? '',
      fetch: stats(restores.map((r) => r.fetch)).median,
      verify: stats(restores.map((r) => r.verify)).median,
      import: stats(restores.map((r) => r.import)).median,
    };
    const f = (n: number): string => `${n.toFixed(2)}s`;
    printTable(
      `action-cache (seconds, wall clock of the real main/post processes; Kubernetes ${K8S}, ${SOURCE}; ` +
        `cache through act's cache server on 127.0.0.1, page cache dropped before each run 2; ` +
        `runs 2 and 3 ${RUNS} times each, alternating)`,
      ['run', 'main (median)', 'main min-max', 'post (median)', 'ready-seconds (median)', 'cache-hit'],
      [
        [
          '1 first: bake + start, post saves',
          f(first.main),
          '',
          f(first.post),
          f(first.readySeconds),
          first.cacheHit,
        ],
        row('2 second: restore + import + start', seconds),
        row('3 local image: start only', locals),
      ],
    );
    process.stdout.write(
      `\nsecond main / first main: ${ratioFirst.toFixed(3)}  (target <= 0.1: ${ratioFirst <= 0.1 ? 'met' : 'NOT met'})\n` +
        `second main / local main: ${ratioLocal.toFixed(2)}x  (target <= 1.5x: ${ratioLocal <= 1.5 ? 'met' : 'NOT met'})\n` +
        `post, apart: first run's save ${f(first.post)}; second and local runs' post (median) ` +
        `${f(stats(seconds.map((t) => t.post)).median)} and ${f(stats(locals.map((t) => t.post)).median)}\n` +
        `archive: ${restore.archiveMB} MB ${restore.codec}; second run's restore (median): fetch ${restore.fetch}s, verify ${restore.verify}s, import ${restore.import}s\n`,
    );
    writeJson('action-cache', {
      k8s: K8S,
      kubeSource: SOURCE,
      image,
      runs: RUNS,
      transport:
        'act cache server (@actions/cache v1 REST) on 127.0.0.1; page cache dropped before each second run',
      archiveMB: restore.archiveMB,
      codec: restore.codec,
      restoreSeconds: { fetch: restore.fetch, verify: restore.verify, import: restore.import },
      seconds: {
        first: pick(first),
        second: { main: second, runs: seconds.map(pick) },
        local: { main: local, runs: locals.map(pick) },
      },
      // main against main; post (the first run's save) is in seconds.*.post, not in a ratio
      ratioSecondToFirst: ratioFirst,
      ratioSecondToLocal: ratioLocal,
      targets: { secondToFirst: 0.1, secondToLocal: 1.5 },
      met: { secondToFirst: ratioFirst <= 0.1, secondToLocal: ratioLocal <= 1.5 },
    });
  } finally {
    rmSync(hookDir, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
    if (image) await execOk('docker', ['rmi', image]).catch(() => {});
    await server.stop();
    await putBackBase();
  }
}

/** Tag `ref` (if present) aside; the returned function tags it back and drops the spare tag. */
async function keepImage(ref: string): Promise<() => Promise<void>> {
  const id = await execOk('docker', ['image', 'inspect', '-f', '{{.Id}}', ref]).then(
    (out) => out.trim(),
    () => '',
  );
  if (!id) return async () => {};
  const spare = `kind-action-bench/kept:${Date.now()}`;
  await execOk('docker', ['tag', id, spare]);
  return async () => {
    await execOk('docker', ['tag', id, ref]);
    await execOk('docker', ['rmi', spare]);
  };
}

/** Write dirty pages back and drop the page cache, dentries and inodes (needs root). */
async function dropPageCache(): Promise<void> {
  await execOk('sync', []);
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

/** Remove the base image run 1 built for `image` (once; later runs find it gone). */
async function removeBaseImage(image: string): Promise<void> {
  const version = /:v(\d+\.\d+\.\d+)/.exec(image)?.[1];
  if (!version) throw new Error(`no Kubernetes version in ${image}`);
  const base = baseImageTag(version);
  const present = await execOk('docker', ['image', 'inspect', base]).then(
    () => true,
    () => false,
  );
  if (present) await execOk('docker', ['rmi', base]);
}

function pick(t: JobTimes): Omit<JobTimes, 'log' | 'postLog'> {
  const { log: _log, postLog: _post, ...rest } = t;
  return rest;
}

function row(label: string, runs: JobTimes[]): string[] {
  const f = (n: number): string => `${n.toFixed(2)}s`;
  const main = stats(runs.map((t) => t.main));
  return [
    label,
    f(main.median),
    `${f(main.min)}-${f(main.max)}`,
    f(stats(runs.map((t) => t.post)).median),
    f(stats(runs.map((t) => t.readySeconds)).median),
    [...new Set(runs.map((t) => t.cacheHit))].join(','),
  ];
}

interface Restore {
  archiveMB: number;
  codec: string;
  fetch: number;
  verify: number;
  import: number;
}

/** The phase table main writes to the job summary: <tr><td>phase</td><td>seconds</td></tr>. */
function summaryPhases(summary: string): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const m of summary.matchAll(/<tr><td>([\w-]+)<\/td><td>([\d.]+)<\/td><\/tr>/g)) {
    if (m[1] && m[2]) phases[m[1]] = Number(m[2]);
  }
  return phases;
}

function parseRestore(log: string): Restore {
  const m =
    /restored \S+ from the .+? \(\S+, (\d+) MB (\w+)\): fetch ([\d.]+)s, verify ([\d.]+)s, import ([\d.]+)s/.exec(
      log,
    );
  if (!m) throw new Error(`the second run did not restore from the cache:\n${log.slice(-4000)}`);
  return {
    archiveMB: Number(m[1]),
    codec: m[2] ?? '',
    fetch: Number(m[3]),
    verify: Number(m[4]),
    import: Number(m[5]),
  };
}

// Every temporary file (private HOMEs, job files, build contexts) under one
// directory, removed when the benchmark exits.
process.on('exit', useTempRoot());
await main();
