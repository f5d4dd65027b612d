import type { DockerClient, ExecOutput } from './client.js';

export type { ExecOutput };

/**
 * Run a command inside the node container as an argument vector (no shell)
 * and collect stdout and stderr together, with a time limit. `stdin`, when
 * given, is written to the command's standard input and closed: the way to
 * hand it a secret that must not appear in its arguments or environment.
 */
export function execInNode(
  docker: DockerClient,
  id: string,
  cmd: string[],
  timeoutMs = 20_000,
  stdin?: string,
): Promise<ExecOutput> {
  return docker.exec(id, cmd, { timeoutMs, ...(stdin === undefined ? {} : { stdin }) });
}
