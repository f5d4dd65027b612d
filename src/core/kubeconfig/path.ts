import { isAbsolute, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { truncate } from '../names.js';

/**
 * A leading `~` (alone or before a `/`) as the shell would expand it: the
 * home directory the adapter read. `~user` and a `~` elsewhere stay as they are.
 */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/** Where a cluster's kubeconfig goes: the given path, else ~/.kube/kind-action-<name>.yaml. */
export function kubeconfigPath(given: string | undefined, name: string, home: string): string {
  if (given === undefined) return join(home, '.kube', `kind-action-${name}.yaml`);
  const field = 'kubeconfig';
  if (given.trim() === '' || given.includes('\n') || given.includes('\0')) {
    throw new UsageError(`"${truncate(given)}" is not a usable file path`, { field });
  }
  const path = expandHome(given, home);
  // Refused up front: the file is written only once the cluster is up.
  if (path.length > 4095 || path.split('/').some((part) => Buffer.byteLength(part) > 255)) {
    throw new UsageError(`"${truncate(given)}" is too long for a file path`, { field });
  }
  return isAbsolute(path) ? path : resolve(path);
}
