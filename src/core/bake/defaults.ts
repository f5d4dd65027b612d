import { PrivilegeMemo } from '../cluster/privilege.js';
import { imageDir, nodeArch } from '../package.js';
import type { RunEnv } from '../run-env.js';
import type { BakeOptions } from './bake.js';
import { DEFAULT_RELEASE_URL } from './release.js';

/** The bake options every adapter (CLI and Action) fills the same way from its environment. */
export function bakeDefaults(
  env: RunEnv,
  signal: AbortSignal,
): Pick<
  BakeOptions,
  'imageDir' | 'cacheDir' | 'releaseBaseUrl' | 'arch' | 'privilege' | 'memo' | 'toolEnv' | 'signal'
> {
  return {
    imageDir: imageDir(),
    cacheDir: env.cacheDir,
    releaseBaseUrl: env.releaseBaseUrl ?? DEFAULT_RELEASE_URL,
    arch: nodeArch(),
    privilege: 'auto',
    memo: PrivilegeMemo.inDir(env.stateDir),
    toolEnv: env.toolEnv,
    signal,
  };
}
