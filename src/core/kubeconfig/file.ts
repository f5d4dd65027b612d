import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Kubeconfig, mergeKubeconfig, parseKubeconfig, serializeKubeconfig } from './rewrite.js';

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

export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
