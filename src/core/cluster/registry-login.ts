import type { DockerClient } from '../docker/client.js';
import { execInNode } from '../docker/exec.js';
import { RegistryLoginError, UsageError } from '../errors.js';
import { isRegistryHost } from '../image/reference.js';
import type { Logger } from '../logger.js';
import { truncate } from '../names.js';

export interface RegistryLogin {
  /** Registry host[:port]; empty: Docker Hub. */
  server: string;
  user: string;
  password: string;
}

/** What each adapter calls the three values, for its error messages. */
export type RegistryLoginNames = Record<keyof RegistryLogin, string>;

/**
 * Check a login as an adapter read it: user and password both or neither,
 * each one line, the server a registry host. A server alone is refused when
 * `serverAlone` says so (an explicit input), and ignored otherwise (an
 * environment variable that may mean something else to the user).
 */
export function checkRegistryLogin(
  values: RegistryLogin,
  names: RegistryLoginNames,
  serverAlone: 'refuse' | 'ignore',
): RegistryLogin | undefined {
  const { server, user, password } = values;
  const used = Boolean(user || password) || serverAlone === 'refuse';
  if (server && used && !isRegistryHost(server)) {
    throw new UsageError(
      `${names.server}: "${truncate(server)}" is not a registry host (e.g. ghcr.io or host:5000)`,
    );
  }
  if (user && !password) throw new UsageError(`${names.user}: given without ${names.password}`);
  if (password && !user) throw new UsageError(`${names.password}: given without ${names.user}`);
  if (/[\r\n]/.test(user)) throw new UsageError(`${names.user}: must be one line`);
  if (/[\r\n]/.test(password)) throw new UsageError(`${names.password}: must be one line`);
  if (!user) {
    if (server && serverAlone === 'refuse') {
      throw new UsageError(`${names.server}: given without ${names.user} and ${names.password}`);
    }
    return undefined;
  }
  return values;
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
