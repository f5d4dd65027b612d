import { InterruptedError } from './errors.js';
import type { Logger } from './logger.js';

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
