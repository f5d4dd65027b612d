import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { goBuild, inputsHash } from './local-image.js';

const SOURCE = resolve('test/fixtures/cache-server');
const SOURCES = ['go.mod', 'go.sum', 'main.go'];
const READY_TIMEOUT_MS = 30_000;

export interface RunningCacheServer {
  /** ACTIONS_CACHE_URL for @actions/cache (the v1 REST protocol), ending in a slash. */
  url: string;
  /** Where the server keeps its entries (<dir>/cache/<xx>/<id>) and their index. */
  dir: string;
  /** The environment that makes @actions/cache use this server. */
  env: Record<string, string>;
  /** Stop the server (SIGTERM, then wait for it) and remove its directory. */
  stop(): Promise<void>;
}

/**
 * Build act's cache server once per source change, kept outside the run's
 * temporary root (Go's build cache makes a rebuild cheap, but not free).
 */
export async function buildCacheServer(): Promise<string> {
  const hash = inputsHash(...SOURCES.map((file) => readFileSync(join(SOURCE, file))));
  const binDir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kind-action-test');
  const bin = join(binDir, `cache-server-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(binDir, { recursive: true });
  const partial = `${bin}.${process.pid}.partial`;
  await goBuild(SOURCE, partial);
  renameSync(partial, bin);
  return bin;
}

/** Start a cache server on a free 127.0.0.1 port with an empty store of its own. */
export async function startCacheServer(): Promise<RunningCacheServer> {
  const bin = await buildCacheServer();
  const dir = mkdtempSync(join(tmpdir(), 'ka-cache-server-'));
  const child = spawn(bin, ['-dir', dir, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((done, fail) => {
      let out = '';
      const timer = setTimeout(
        () => fail(new Error(`cache server not ready in time:\n${stderr}`)),
        READY_TIMEOUT_MS,
      );
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^url (\S+)$/m.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          done(m[1]);
        }
      });
      child.on('error', fail);
      child.on('close', (code) => fail(new Error(`cache server exited (${code}):\n${stderr}`)));
    });
    const env = { ACTIONS_CACHE_URL: url, ACTIONS_RUNTIME_TOKEN: 'kind-action-test' };
    return { url, dir, env, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
