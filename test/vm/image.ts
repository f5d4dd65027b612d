// The node image handed to the guest: `docker save` of a local image, cached by image id beside
// the disks so a warm run does not save it again.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execOk } from '../support/exec.js';

/**
 * Docker may be shared on a development host: every call that uses it takes this lock, which other
 * Docker work there takes too. KIND_ACTION_DOCKER_LOCK names another file, for a caller that holds
 * this one for the whole lane (to keep the host quiet while it runs).
 */
export const DOCKER_LOCK = process.env.KIND_ACTION_DOCKER_LOCK ?? '/tmp/kind-action-docker.lock';

export function dockerLocked(args: string[]): Promise<string> {
  return execOk('flock', [DOCKER_LOCK, 'docker', ...args], { stdin: 'ignore' });
}

/** The newest local `kind-action/node:*` image, when none was named. */
export async function defaultNodeImage(): Promise<string> {
  const out = await dockerLocked(['images', '--format', '{{.Repository}}:{{.Tag}}', 'kind-action/node']);
  const tags = out
    .split('\n')
    .filter((t) => /^kind-action\/node:v\d+\.\d+\.\d+$/.test(t))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const newest = tags.at(-1);
  if (!newest) throw new Error('no kind-action/node:v* image on the daemon: bake one, or pass --image REF');
  return newest;
}

/** Path of a `docker save` tar of `ref`, reused while the image id stays the same. */
export async function savedImage(
  root: string,
  ref: string,
): Promise<{ tar: string; id: string; saved: boolean }> {
  const id = (await dockerLocked(['image', 'inspect', '--format', '{{.Id}}', ref]))
    .trim()
    .replace(/^sha256:/, '');
  const dir = join(root, 'images');
  mkdirSync(dir, { recursive: true });
  const tar = join(dir, `${id.slice(0, 16)}.tar`);
  for (const name of readdirSync(dir)) {
    if (join(dir, name) !== tar) rmSync(join(dir, name), { force: true });
  }
  if (existsSync(tar)) return { tar, id, saved: false };
  const tmp = `${tar}.tmp-${process.pid}`;
  try {
    await dockerLocked(['save', '-o', tmp, ref]);
    renameSync(tmp, tar);
  } finally {
    rmSync(tmp, { force: true });
  }
  return { tar, id, saved: true };
}
