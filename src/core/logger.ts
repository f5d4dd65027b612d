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

/** Writes to one stream (stderr for the CLI, so stdout stays for data). */
export function streamLogger(opts: StreamLoggerOptions): Logger {
  let progressShown = false;
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
      } else {
        write(m);
      }
    },
  };
}
