import type { DockerClient } from '../docker/client.js';
import { execInNode } from '../docker/exec.js';
import { RegistryLoginError } from '../errors.js';
import type { Logger } from '../logger.js';

export interface RegistryLogin {
  /** Registry host[:port]; empty: Docker Hub. */
  server: string;
  user: string;
  password: string;
}

/**
 * `docker login` in the node's Docker, so pods can pull private images. The
 * password goes through the exec's standard input only: not in an argument,
 * the container's environment (`docker inspect`) or any log.
 */
export async function loginInNode(
  docker: DockerClient,
  id: string,
  login: RegistryLogin,
  log: Logger,
): Promise<void> {
  const where = login.server || 'Docker Hub';
  const cmd = ['docker', 'login', '--username', login.user, '--password-stdin'];
  if (login.server) cmd.push(login.server);
  const r = await execInNode(docker, id, cmd, 60_000, login.password);
  if (r.code !== 0) {
    const reason =
      r.output.split('\n').find((l) => l.trim() !== '' && !/^WARNING/i.test(l)) ?? `exit ${r.code}`;
    throw new RegistryLoginError(`registry login to ${where} as ${login.user} failed: ${reason.trim()}`);
  }
  log.info(`the node's Docker is logged in to ${where} as ${login.user}`);
}
