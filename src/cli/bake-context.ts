import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BakeOptions } from '../core/bake/bake.js';
import { DEFAULT_RELEASE_URL } from '../core/bake/release.js';
import { PrivilegeMemo } from '../core/cluster/privilege.js';
import type { CliEnv } from './inputs.js';

/** Where the image/ directory is, next to dist/ in the package or src/ in a checkout. */
export function imageDir(): string {
  return fileURLToPath(new URL('../../image/', import.meta.url));
}

/** The node image's CPU architecture: this machine's, in Kubernetes' release naming. */
export function nodeArch(): string {
  return arch() === 'arm64' ? 'arm64' : 'amd64';
}

/** The bake options every adapter (CLI and Action) fills the same way from its environment. */
export function bakeDefaults(
  env: CliEnv,
  signal: AbortSignal,
): Pick<BakeOptions, 'imageDir' | 'cacheDir' | 'releaseBaseUrl' | 'arch' | 'privilege' | 'memo' | 'signal'> {
  return {
    imageDir: imageDir(),
    cacheDir: env.cacheDir,
    releaseBaseUrl: env.releaseBaseUrl ?? DEFAULT_RELEASE_URL,
    arch: nodeArch(),
    privilege: 'auto',
    memo: PrivilegeMemo.inDir(env.stateDir),
    signal,
  };
}
