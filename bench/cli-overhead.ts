/**
 * bench/cli-overhead: what `kind-action up` and `down` cost on top of Docker.
 * Against the readiness test image that is ready at once, 10 runs each, next
 * to `docker run -d` + `docker rm -f` of the same image in the same run, both
 * plain and with the same container options `up` uses (three published ports,
 * the /var/lib/docker volume, the capability fallback), so the ratio shows our
 * own cost rather than docker-proxy's. Target: up+down ≤ 1.5 × the docker pair.
 */

import { cli, isolatedEnv } from '../test/support/cli.js';
import { execOk } from '../test/support/exec.js';
import { buildFakeNodeImages, fakeNodeImage } from '../test/support/fake-node.js';
import useTempRoot from '../test/support/temp-root.js';
import { printTable, statRow, stats, timeIt, writeJson } from './lib/report.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const image = fakeNodeImage('ready');

async function main(): Promise<void> {
  await execOk('npm', ['run', '--silent', 'build']);
  await buildFakeNodeImages();
  const env = isolatedEnv();
  // One warm-up of each so neither side pays first-use costs (privilege probe, page cache).
  await runOurs(env);
  await runDocker(SAME_OPTIONS);

  const ours = { up: [] as number[], down: [] as number[], pair: [] as number[] };
  const bare = { run: [] as number[], rm: [] as number[], pair: [] as number[] };
  const same = { run: [] as number[], rm: [] as number[], pair: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    const o = await runOurs(env);
    ours.up.push(o.up);
    ours.down.push(o.down);
    ours.pair.push(o.up + o.down);
    const d = await runDocker([]);
    bare.run.push(d.run);
    bare.rm.push(d.rm);
    bare.pair.push(d.run + d.rm);
    const e = await runDocker(SAME_OPTIONS);
    same.run.push(e.run);
    same.rm.push(e.rm);
    same.pair.push(e.run + e.rm);
  }
  const s = {
    up: stats(ours.up),
    down: stats(ours.down),
    ourPair: stats(ours.pair),
    run: stats(bare.run),
    rm: stats(bare.rm),
    barePair: stats(bare.pair),
    sameRun: stats(same.run),
    sameRm: stats(same.rm),
    samePair: stats(same.pair),
  };
  const ratio = s.ourPair.median / s.samePair.median;
  const plainRatio = s.ourPair.median / s.barePair.median;
  printTable(
    'cli-overhead (seconds, wall clock, one machine, one run)',
    ['what', 'runs', 'min', 'median', 'max'],
    [
      statRow('kind-action up (ready image)', s.up),
      statRow('kind-action down', s.down),
      statRow('kind-action up + down', s.ourPair),
      statRow('docker run -d', s.run),
      statRow('docker rm -f', s.rm),
      statRow('docker run -d + rm -f', s.barePair),
      statRow('docker run -d, same options', s.sameRun),
      statRow('docker rm -f -v, same options', s.sameRm),
      statRow('docker run + rm, same options', s.samePair),
    ],
  );
  process.stdout.write(
    `\nratio (up+down) / (docker run+rm, same options), medians: ${ratio.toFixed(2)}x  (target <= 1.5x: ${ratio <= 1.5 ? 'met' : 'NOT met'})\n` +
      `ratio (up+down) / (plain docker run -d + rm -f), medians: ${plainRatio.toFixed(2)}x\n`,
  );
  writeJson('cli-overhead', {
    runs: RUNS,
    image,
    seconds: s,
    ratio,
    plainRatio,
    target: 1.5,
    met: ratio <= 1.5,
  });
}

async function runOurs(env: NodeJS.ProcessEnv): Promise<{ up: number; down: number }> {
  const up = await timeIt(async () => {
    const r = await cli(['up', '--name', 'bench', '--image', image], env);
    if (r.code !== 0) throw new Error(r.stderr);
  });
  const down = await timeIt(async () => {
    const r = await cli(['down', '--name', 'bench'], env);
    if (r.code !== 0) throw new Error(r.stderr);
  });
  return { up, down };
}

/** The options `up` gives the node on a daemon that refuses --privileged (see create-options.ts). */
const SAME_OPTIONS = [
  ...['--cap-add', 'ALL', '--cap-drop', 'SYS_RESOURCE', '--device-cgroup-rule', 'a *:* rwm'],
  ...['--security-opt', 'seccomp=unconfined', '--security-opt', 'apparmor=unconfined'],
  ...[
    '--security-opt',
    'systempaths=unconfined',
    '-v',
    '/dev/kmsg:/dev/kmsg',
    '-v',
    '/sys/fs/cgroup:/sys/fs/cgroup:rw',
  ],
  ...['-v', '/var/lib/docker', '--tmpfs', '/run:rw,exec'],
  ...['-p', '127.0.0.1::8443', '-p', '127.0.0.1::10080', '-p', '127.0.0.1::2375'],
];

async function runDocker(options: string[]): Promise<{ run: number; rm: number }> {
  let id = '';
  const run = await timeIt(async () => {
    id = (await execOk('docker', ['run', '-d', ...options, image])).trim();
  });
  const rm = await timeIt(() => execOk('docker', ['rm', '-f', '-v', id]));
  return { run, rm };
}

// Every temporary file (private HOMEs, job files, build contexts) under one
// directory, removed when the benchmark exits.
process.on('exit', useTempRoot());
await main();
