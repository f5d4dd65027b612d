import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { exists } from '../files.js';
import {
  isEmptyKubeconfig,
  type Kubeconfig,
  KubeconfigError,
  mergeKubeconfig,
  parseKubeconfig,
  removeFromKubeconfig,
  serializeKubeconfig,
} from './rewrite.js';

/**
 * Write a kubeconfig with mode 0600, atomically (temp file + rename), merging
 * into an existing file when asked. A failure leaves no half-written file.
 */
export async function writeKubeconfig(path: string, cfg: Kubeconfig, merge: boolean): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await withFileLock(path, async () => {
    let out = cfg;
    if (merge) {
      const existing = await readIfExists(path);
      if (existing !== undefined) out = mergeKubeconfig(parseKubeconfig(existing, path), cfg);
    }
    await replaceFile(path, serializeKubeconfig(out));
  });
}

/**
 * Take one name's cluster, user and context out of the kubeconfig at `path`
 * (atomically, keeping 0600), and delete the file once nothing else is in it.
 * A missing file, or one without that context, is left as it is.
 */
export async function removeKubeconfigEntries(
  path: string,
  name: string,
): Promise<'absent' | 'removed' | 'deleted'> {
  // No lock for a file that is not there (its directory may not be either).
  if (!(await exists(path))) return 'absent';
  return withFileLock(path, async () => {
    const text = await readIfExists(path);
    if (text === undefined) return 'absent';
    const cfg = parseKubeconfig(text, path);
    if (!cfg.contexts.some((c) => c.name === name)) return 'absent';
    const rest = removeFromKubeconfig(cfg, name);
    if (isEmptyKubeconfig(rest)) {
      await rm(path, { force: true });
      return 'deleted';
    }
    await replaceFile(path, serializeKubeconfig(rest));
    return 'removed';
  });
}

/** Temp file + rename, mode 0600: readers see the old file or the new one, never half. */
async function replaceFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Read-modify-write under `<path>.lock` (the same convention as client-go's
 * kubeconfig lock), so `up`s and `down`s of several clusters sharing one
 * file do not drop each other's entries. A lock left by a killed process is
 * taken over once it is 10 s stale.
 */
async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(path, {
      realpath: false,
      lockfilePath: `${path}.lock`,
      stale: 10_000,
      retries: { retries: 60, factor: 1.3, minTimeout: 10, maxTimeout: 250 },
      // Held for milliseconds; losing it to the stale rule would need a 10 s stall.
      onCompromised: () => {},
    });
  } catch (err) {
    throw new KubeconfigError(`${path} stays locked by another process (${path}.lock)`, { cause: err });
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}

export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
