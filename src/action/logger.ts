import * as core from '@actions/core';
import type { Logger } from '../core/logger.js';

/** The core's Logger on the workflow log: warnings and errors become annotations. */
export function actionsLogger(): Logger {
  let lastProgress = 0;
  let lastHead = '';
  return {
    debug: (m) => core.debug(m),
    info: (m) => core.info(m),
    warn: (m) => core.warning(m),
    error: (m) => core.error(m),
    // The log is not a terminal: a line that only updates the previous one
    // (same start, e.g. pull progress) is shown at most every 3 seconds.
    progress: (m) => {
      const now = Date.now();
      const head = m.slice(0, 24);
      if (head === lastHead && now - lastProgress < 3000) return;
      lastHead = head;
      lastProgress = now;
      core.info(m);
    },
  };
}
