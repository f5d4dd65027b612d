import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ExecOptions, type ExecResult, exec } from './exec.js';

export const CLI = resolve('dist/cli/index.js');

/** A private HOME and cache per test file, so kubeconfigs and memos never collide. */
export function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'ka-home-'));
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CACHE_HOME: join(home, '.cache'),
    KIND_ACTION_CACHE: process.env.KIND_ACTION_CACHE ?? '/var/cache/kind-action',
    ...extra,
  };
}

/** Run the built CLI as a real process. */
export function cli(
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: Omit<ExecOptions, 'env'> = {},
): Promise<ExecResult> {
  return exec(process.execPath, [CLI, ...args], { ...opts, env });
}

export function parseJson<T>(r: ExecResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}
