import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BakeOptions } from '../core/bake/bake.js';
import { DEFAULT_RELEASE_URL } from '../core/bake/release.js';
import { PrivilegeMemo } from '../core/cluster/privilege.js';
import type { Session } from './session.js';

/** Where the image/ directory is, next to dist/ in the package or src/ in a checkout. */
export function imageDir(): string {
  return fileURLToPath(new URL('../../image/', import.meta.url));
}

/** The bake options every adapter fills the same way from its session. */
export function bakeDefaults(
  s: Session,
): Pick<BakeOptions, 'imageDir' | 'cacheDir' | 'releaseBaseUrl' | 'arch' | 'privilege' | 'memo' | 'signal'> {
  return {
    imageDir: imageDir(),
    cacheDir: s.env.cacheDir,
    releaseBaseUrl: s.env.releaseBaseUrl ?? DEFAULT_RELEASE_URL,
    arch: arch() === 'arm64' ? 'arm64' : 'amd64',
    privilege: 'auto',
    memo: PrivilegeMemo.inDir(s.env.stateDir),
    signal: s.signal,
  };
}
