import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * Where the image/ directory is: two levels up from this module, which is
 * src/core/ in a checkout and dist/<adapter>/ in the bundles.
 */
export function imageDir(): string {
  return fileURLToPath(new URL('../../image/', import.meta.url));
}

/** The job image's Dockerfile directory (job/), beside image/. */
export function jobDir(): string {
  return fileURLToPath(new URL('../../job/', import.meta.url));
}

/** The CLI bundle (dist/cli/), which the job image carries. */
export function cliBundleDir(): string {
  return fileURLToPath(new URL('../../dist/cli/', import.meta.url));
}

/** The node image's CPU architecture: this machine's, in Kubernetes' release naming. */
export function nodeArch(): string {
  return arch() === 'arm64' ? 'arm64' : 'amd64';
}
