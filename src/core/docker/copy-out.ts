import { spawn } from 'node:child_process';
import { lstat, mkdtemp, readlink, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { DockerApiError } from '../errors.js';
import type { DockerClient } from './client.js';

/** How many links in a row a copy follows before it gives up (a loop). */
const MAX_LINKS = 8;

/**
 * Copy the file at `path` in the container `id` to the host file `dest`
 * (through the Docker API, so a remote daemon works), following symbolic
 * links inside the container as `docker cp -L` does. Written under a temporary
 * name beside `dest` and renamed, so `dest` is never half a file. Resolves to
 * false when nothing is at `path`.
 */
export async function copyFileOut(
  docker: DockerClient,
  id: string,
  path: string,
  dest: string,
): Promise<boolean> {
  const work = await mkdtemp(join(dirname(dest), `.${basename(dest)}.`));
  try {
    let current = path;
    for (let hop = 0; hop <= MAX_LINKS; hop++) {
      const tar = await docker.getArchive(id, current);
      if (!tar) return false;
      await untar(tar, work, `copy ${current} out of ${id.slice(0, 12)}`);
      const file = join(work, posix.basename(current));
      const st = await lstat(file);
      if (st.isSymbolicLink()) {
        current = posix.resolve(posix.dirname(current), await readlink(file));
        await rm(file, { force: true });
        continue;
      }
      if (!st.isFile()) throw new DockerApiError(`${path} in ${id.slice(0, 12)} is not a file`);
      await rename(file, dest);
      return true;
    }
    throw new DockerApiError(`${path} in ${id.slice(0, 12)}: more than ${MAX_LINKS} symbolic links`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Unpack a tar stream into `dir` with the system's tar (the same tool copy-in uses). */
function untar(stream: NodeJS.ReadableStream, dir: string, what: string): Promise<void> {
  const tar = spawn('tar', ['-x', '--no-same-owner', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  return new Promise<void>((resolve, reject) => {
    stream.on('error', (err: Error) => {
      tar.kill();
      reject(new DockerApiError(`${what}: ${err.message}`));
    });
    tar.on('error', (err) => reject(new DockerApiError(`${what}: tar: ${err.message}`)));
    tar.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(new DockerApiError(`${what}: tar exited with ${code}: ${stderr.trim()}`)),
    );
    stream.pipe(tar.stdin);
  });
}
