import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  isEmptyKubeconfig,
  type Kubeconfig,
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
  let out = cfg;
  if (merge) {
    const existing = await readIfExists(path);
    if (existing !== undefined) out = mergeKubeconfig(parseKubeconfig(existing, path), cfg);
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, serializeKubeconfig(out), { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
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
  const text = await readIfExists(path);
  if (text === undefined) return 'absent';
  const cfg = parseKubeconfig(text, path);
  if (!cfg.contexts.some((c) => c.name === name)) return 'absent';
  const rest = removeFromKubeconfig(cfg, name);
  if (isEmptyKubeconfig(rest)) {
    await rm(path, { force: true });
    return 'deleted';
  }
  await writeKubeconfig(path, rest, false);
  return 'removed';
}

export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
