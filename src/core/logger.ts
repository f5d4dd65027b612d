/** How the core reports. Adapters decide where lines go. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A line that replaces the previous progress line on a terminal. */
  progress(message: string): void;
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  progress: () => {},
};

export interface StreamLoggerOptions {
  stream: NodeJS.WriteStream | NodeJS.WritableStream;
  debug: boolean;
  isTTY: boolean;
}

/** Off a terminal, progress lines are thinned to one per interval so CI logs stay readable. */
const PLAIN_PROGRESS_INTERVAL_MS = 2000;

/** Writes to one stream (stderr for the CLI, so stdout stays for data). */
export function streamLogger(opts: StreamLoggerOptions): Logger {
  let progressShown = false;
  let lastPlainProgress = 0;
  const write = (line: string): void => {
    if (progressShown) {
      opts.stream.write('\n');
      progressShown = false;
    }
    opts.stream.write(`${line}\n`);
  };
  return {
    debug: (m) => {
      if (opts.debug) write(`debug: ${m}`);
    },
    info: (m) => write(m),
    warn: (m) => write(`warning: ${m}`),
    error: (m) => write(`error: ${m}`),
    progress: (m) => {
      if (opts.isTTY) {
        opts.stream.write(`\r\x1b[K${m}`);
        progressShown = true;
      } else if (opts.debug) {
        write(m);
      } else {
        const now = Date.now();
        if (now - lastPlainProgress >= PLAIN_PROGRESS_INTERVAL_MS) {
          lastPlainProgress = now;
          write(m);
        }
      }
    },
  };
}
