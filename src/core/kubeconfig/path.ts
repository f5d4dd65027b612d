import { isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { truncate } from '../names.js';

/** Where a cluster's kubeconfig goes: the given path, else ~/.kube/kind-action-<name>.yaml. */
export function kubeconfigPath(given: string | undefined, name: string, home: string): string {
  if (given === undefined) return join(home, '.kube', `kind-action-${name}.yaml`);
  const field = 'kubeconfig';
  if (given.trim() === '' || given.includes('\n') || given.includes('\0')) {
    throw new UsageError(`"${truncate(given)}" is not a usable file path`, { field });
  }
  // Refused up front: the file is written only once the cluster is up.
  if (given.length > 4095 || given.split('/').some((part) => Buffer.byteLength(part) > 255)) {
    throw new UsageError(`"${truncate(given)}" is too long for a file path`, { field });
  }
  return isAbsolute(given) ? given : resolve(given);
}
