import { spawn } from 'node:child_process';
import { DockerApiError } from '../errors.js';
import type { DockerClient } from './client.js';

/**
 * Copy the contents of the host directory `dir` into the container `id` at
 * `into` (which must exist), through the Docker API: unlike a bind mount it
 * works with a remote daemon, and the files are part of the container, so a
 * `docker commit` keeps whatever is not removed before it.
 */
export async function copyIntoContainer(
  docker: DockerClient,
  id: string,
  dir: string,
  into: string,
): Promise<void> {
  const tar = spawn('tar', ['-c', '-C', dir, '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const exited = new Promise<void>((resolve, reject) => {
    tar.on('error', (err) => reject(new DockerApiError(`copy into ${id.slice(0, 12)}: tar: ${err.message}`)));
    tar.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new DockerApiError(`copy into ${id.slice(0, 12)}: tar exited with ${code}: ${stderr.trim()}`),
          ),
    );
  });
  exited.catch(() => {});
  await docker.putArchive(id, tar.stdout, into);
  await exited;
}
