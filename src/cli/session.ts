import { DockerClient } from '../core/docker/client.js';
import { readTextFile, resolveEndpoint } from '../core/docker/endpoint.js';
import { type Logger, streamLogger } from '../core/logger.js';
import type { RunEnv } from '../core/run-env.js';

/** What every command gets: a logger, a way to reach Docker, and an abort signal. */
export interface Session {
  env: RunEnv;
  log: Logger;
  signal: AbortSignal;
  docker(): Promise<DockerClient>;
}

export function createSession(env: RunEnv, processEnv: NodeJS.ProcessEnv, signal: AbortSignal): Session {
  const log = streamLogger({
    stream: process.stderr,
    debug: env.debug,
    isTTY: process.stderr.isTTY === true,
  });
  let client: Promise<DockerClient> | undefined;
  return {
    env,
    log,
    signal,
    docker: () => {
      client ??= DockerClient.connect(resolveEndpoint(processEnv, readTextFile), log);
      return client;
    },
  };
}
