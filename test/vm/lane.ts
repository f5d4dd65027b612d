// The VM lane, host side: build or reuse the disk, prepare the 9p share (CLI bundle, node image,
// guest program, workload), boot QEMU with a hard deadline, and report the guest's results.
//   tsx test/vm/lane.ts [--image REF] [--timeout SECONDS] [--compare-host] [--smoke | --core]
// --smoke boots with no node image and runs only the host case (cgroup v2, --privileged);
// --core runs only the core cases (the host, up, Ready, the user's flow, down).
// Exit code: 0 when every guest case passed, 1 otherwise, 130/143 when interrupted.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { execOk } from '../support/exec.js';
import { HELLO_APP } from '../support/hello-app.js';
import { cacheRoot, ensureDisk, processAlive } from './disk.js';
import { hostUpSeconds } from './host-up.js';
import { defaultNodeImage } from './image.js';
import { preloadedLayer } from './preload.js';
import { boot, chooseAccel } from './qemu.js';

const HERE = import.meta.dirname;
const CLI_BUNDLE = resolve('dist/cli/index.js');
const CONSOLE_TAIL = 80;

interface GuestReport {
  passed: number;
  failed: number;
  cases: { name: string; ok: boolean; seconds: number; error?: string }[];
  metrics: Record<string, number | string>;
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function prepareShare(share: string, lane: { image: string | null; core: boolean }): Promise<void> {
  mkdirSync(join(share, 'cli'), { recursive: true });
  // The bundle and the chunks it loads from beside it.
  for (const f of readdirSync(resolve('dist/cli')).filter((n) => n.endsWith('.js')))
    copyFileSync(resolve('dist/cli', f), join(share, 'cli', f));
  // The Action's main and post, where a checkout of the Action has them.
  mkdirSync(join(share, 'dist', 'action'), { recursive: true });
  for (const f of ['main.js', 'post.js'])
    copyFileSync(resolve('dist/action', f), join(share, 'dist', 'action', f));
  copyFileSync(resolve('action.yml'), join(share, 'action.yml'));
  mkdirSync(join(share, 'circleci'));
  copyFileSync(resolve('circleci/kind.sh'), join(share, 'circleci', 'kind.sh'));
  writeFileSync(join(share, 'lane.json'), JSON.stringify(lane));
  await build({
    entryPoints: [join(HERE, 'guest', 'main.ts')],
    outfile: join(share, 'guest.mjs'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
  });
  const app = join(share, 'hello-app');
  mkdirSync(app);
  await execOk('go', ['build', '-trimpath', '-o', join(app, 'hello-app'), '.'], {
    cwd: HELLO_APP,
    env: { ...process.env, CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64' },
  });
  for (const f of ['Dockerfile', 'k8s.yaml']) copyFileSync(join(HELLO_APP, f), join(app, f));
}

function readReport(share: string): GuestReport | undefined {
  const file = join(share, 'out', 'results.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as GuestReport) : undefined;
}

function keepConsole(root: string, consoleLog: string): string {
  const dir = join(root, 'logs');
  mkdirSync(dir, { recursive: true });
  const kept = join(dir, `console-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  if (existsSync(consoleLog)) copyFileSync(consoleLog, kept);
  const tail = existsSync(consoleLog)
    ? readFileSync(consoleLog, 'utf8').split('\n').slice(-CONSOLE_TAIL)
    : [];
  say(
    `--- last ${tail.length} lines of the guest console ---\n${tail.join('\n')}\n--- full console log: ${kept}`,
  );
  return kept;
}

/** Work folders of earlier lanes that were killed before they could clean up. */
function pruneRuns(runs: string): void {
  for (const name of readdirSync(runs)) {
    const pid = Number(/^run-(\d+)-/.exec(name)?.[1]);
    if (!pid || !processAlive(pid)) rmSync(join(runs, name), { recursive: true, force: true });
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      image: { type: 'string' },
      timeout: { type: 'string', default: process.env.KIND_ACTION_VM_TIMEOUT ?? '3600' },
      'compare-host': { type: 'boolean', default: false },
      smoke: { type: 'boolean', default: false },
      core: { type: 'boolean', default: false },
    },
  });
  const deadline = Number(values.timeout) * 1000;
  if (!Number.isFinite(deadline) || deadline <= 0)
    throw new Error(`--timeout must be seconds, not "${values.timeout}"`);
  if (!existsSync(CLI_BUNDLE)) throw new Error(`${CLI_BUNDLE} is missing: run npm run build first`);
  const started = Date.now();
  const root = cacheRoot();
  const image = values.smoke ? null : (values.image ?? (await defaultNodeImage()));
  const accel = chooseAccel();
  say(`vm-lane: node image ${image ?? 'none (smoke run)'}, accelerator ${accel}`);

  const disk = await ensureDisk(root);
  say(`vm-lane: disk ${disk.dir} (${disk.builtSeconds ? `built in ${disk.builtSeconds}s` : 'cached'})`);

  const runs = join(root, 'runs');
  mkdirSync(runs, { recursive: true });
  pruneRuns(runs);
  const run = mkdtempSync(join(runs, `run-${process.pid}-`));
  const share = join(run, 'share');
  const consoleLog = join(run, 'console.log');
  const abort = new AbortController();
  let interrupted: number | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupted = sig === 'SIGINT' ? 130 : 143;
    abort.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  const machine = { accel, kernel: disk.kernel, initrd: disk.initrd, memoryMiB: 6144, cpus: 2 };
  const progress = (line: string): void => say(`  ${line}`);
  try {
    const preloaded = image
      ? await preloadedLayer(root, disk, image, machine, deadline, abort.signal, progress)
      : undefined;
    if (preloaded)
      say(
        `vm-lane: image layer ${preloaded.layer} (${preloaded.builtSeconds ? `built in ${preloaded.builtSeconds}s, docker load ${preloaded.loadSeconds}s` : 'cached'})`,
      );
    await prepareShare(share, { image: preloaded?.guestRef ?? null, core: values.core });
    const overlay = join(run, 'disk.qcow2');
    const [backing, format] = preloaded ? [preloaded.layer, 'qcow2'] : [disk.rootImage, 'raw'];
    await execOk('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', backing, '-F', format, overlay]);
    const vm = { ...machine, disk: overlay, share, console: consoleLog };
    const prep = (Date.now() - started) / 1000;
    const left = deadline - (Date.now() - started);
    if (left <= 0) throw new Error(`the ${values.timeout}s deadline passed while preparing the lane`);
    const result = await boot(vm, left, abort.signal, progress);
    if (interrupted) return interrupted;
    const report = readReport(share);
    const total = Math.round((Date.now() - started) / 1000);
    say(
      `vm-lane: QEMU ${result.timedOut ? `killed at the ${values.timeout}s deadline` : `exited ${result.code}`} after ${Math.round(result.seconds)}s; lane ${total}s (preparation ${Math.round(prep)}s: disk build ${disk.builtSeconds}s, image layer ${preloaded?.builtSeconds ?? 0}s)`,
    );
    if (report) {
      for (const c of report.cases)
        say(
          `  ${c.ok ? 'PASS' : 'FAIL'} ${c.name} (${c.seconds}s)${c.error ? `\n    ${c.error.split('\n').join('\n    ')}` : ''}`,
        );
      if (preloaded?.loadSeconds !== undefined) report.metrics.imageLoadSeconds = preloaded.loadSeconds;
      say(`vm-lane: metrics ${JSON.stringify(report.metrics)}`);
    }
    if (values['compare-host'] && image && report?.metrics.upSeconds !== undefined) {
      say(
        `vm-lane: up on this host with the same image: ${await hostUpSeconds(image)}s; in the VM: ${report.metrics.upSeconds}s`,
      );
    }
    const ok = !result.timedOut && report !== undefined && report.failed === 0 && report.cases.length > 0;
    say(report ? `${report.passed} passed, ${report.failed} failed` : 'vm-lane: the guest wrote no results');
    if (!ok) keepConsole(root, consoleLog);
    return ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    rmSync(run, { recursive: true, force: true });
  }
}

process.exitCode = await main().catch((err: unknown) => {
  say(`vm-lane: ${err instanceof Error ? err.message : String(err)}`);
  return 1;
});
