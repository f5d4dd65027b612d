import { DockerClient } from '../core/docker/client.js';
import { readTextFile, resolveEndpoint } from '../core/docker/endpoint.js';
import { InterruptedError } from '../core/errors.js';
import { type Logger, streamLogger } from '../core/logger.js';
import type { CliEnv } from './inputs.js';

/** What every command gets: a logger, a way to reach Docker, and an abort signal. */
export interface Session {
  env: CliEnv;
  log: Logger;
  signal: AbortSignal;
  docker(): Promise<DockerClient>;
}

export function createSession(env: CliEnv, processEnv: NodeJS.ProcessEnv, signal: AbortSignal): Session {
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

/**
 * SIGINT/SIGTERM abort the running command, which cleans up what it created.
 * A second signal while cleaning up is acknowledged but does not cut cleanup short.
 */
export function trapSignals(log: Logger): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (sig: 'SIGINT' | 'SIGTERM'): void => {
    if (controller.signal.aborted) {
      log.warn(`${sig} received again; still cleaning up, please wait`);
      return;
    }
    log.warn(`${sig} received; cleaning up`);
    controller.abort(new InterruptedError(sig));
  };
  const onInt = (): void => handler('SIGINT');
  const onTerm = (): void => handler('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}
