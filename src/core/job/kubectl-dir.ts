import { readdir, readlink, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { exists } from '../files.js';
import { KUBECTL_LINK, kubectlEntry } from './names.js';

/** What a kubectl directory offered for a server version, and what its link points at now. */
export interface KubectlChoice {
  /** The server's version, e.g. 1.37.2. */
  server: string;
  /** The version of the kubectl the link points at, e.g. 1.37.2. */
  kubectl: string;
  /** Its path (the link's target, resolved against the directory). */
  path: string;
  /** Whether that kubectl is of the server's minor (kubectl supports one minor of skew either way). */
  matched: boolean;
  /** Every version the directory holds, newest first. */
  available: string[];
}

/** The versions a kubectl directory holds (its v<version>/kubectl entries), newest first. */
export async function kubectlVersions(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const versions: string[] = [];
  for (const name of names) {
    const version = /^v(\d+\.\d+\.\d+)$/.exec(name)?.[1];
    if (version && (await exists(join(dir, kubectlEntry(version))))) versions.push(version);
  }
  return versions.sort(compareDesc);
}

/** The kubectl of the same minor as `server` among `available` (the same patch first), if any. */
export function pickKubectl(server: string, available: readonly string[]): string | undefined {
  if (available.includes(server)) return server;
  const minor = minorOf(server);
  return available.find((v) => minorOf(v) === minor);
}

/**
 * Point the directory's `bin/kubectl` link at the kubectl of `server`'s
 * minor, replacing the link in one rename. With none of that minor, the link
 * is left where it was and `matched` is false.
 */
export async function selectKubectl(dir: string, server: string): Promise<KubectlChoice> {
  const available = await kubectlVersions(dir);
  const pick = pickKubectl(server, available);
  const link = join(dir, KUBECTL_LINK);
  if (pick !== undefined) {
    const tmp = `${link}.${process.pid}.tmp`;
    await rm(tmp, { force: true });
    await symlink(`../${kubectlEntry(pick)}`, tmp);
    await rename(tmp, link);
  }
  const target = await readlink(link).catch(() => undefined);
  const current = target && /v(\d+\.\d+\.\d+)\/kubectl$/.exec(target)?.[1];
  const kubectl = pick ?? current ?? '';
  return { server, kubectl, path: join(dir, kubectlEntry(kubectl)), matched: pick !== undefined, available };
}

function minorOf(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

function compareDesc(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pb[i] ?? 0) - (pa[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
