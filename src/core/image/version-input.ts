import { UsageError } from '../errors.js';
import { resolveKubernetesVersion } from './versions.js';

const FIELD = 'k8s-version';
const WORDED = `--${FIELD}: `;

/**
 * resolveKubernetesVersion, its error carrying the field `k8s-version` for
 * the adapters to word. Once versions.ts throws `{ field: 'k8s-version' }`
 * itself, this passes its errors through unchanged.
 */
export function kubernetesVersion(input: string | undefined): string {
  try {
    return resolveKubernetesVersion(input);
  } catch (err) {
    if (!(err instanceof UsageError) || err.field !== undefined) throw err;
    const detail = err.message.startsWith(WORDED) ? err.message.slice(WORDED.length) : err.message;
    throw new UsageError(detail, { field: FIELD, cause: err });
  }
}
