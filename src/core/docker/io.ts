import type Docker from 'dockerode';
import type { Logger } from '../logger.js';
import { mapDockerError } from './errors.js';
import { type PullEvent, PullProgress } from './progress.js';
import { collectOutput, destroy, followProgress, lineSink, type Modem } from './streams.js';

/** DockerClient's logged, error-mapping call, lent to the helpers below. */
export type Call = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

export interface ExecOutput {
  code: number | null;
  output: string;
}

/** The rest of DockerClient.pull: follow the stream, showing progress; an abort closes it. */
export async function followPull(
  modem: Modem,
  call: Call,
  stream: NodeJS.ReadableStream,
  ref: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<void> {
  const progress = new PullProgress();
  let failure: string | undefined;
  let last = 0;
  let onAbort = (): void => {};
  // A destroyed stream may never end: the abort rejects at once.
  const aborted = new Promise<never>((_, reject) => {
    onAbort = (): void => {
      destroy(stream);
      reject(signal?.reason);
    };
  });
  aborted.catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  // An abort while the request was being answered has no listener to fire: check now.
  if (signal?.aborted) onAbort();
  try {
    await Promise.race([
      aborted,
      call(`pull ${ref}`, () =>
        followProgress<PullEvent>(modem, stream, (event) => {
          if (event.error) {
            failure ??= event.error;
            return;
          }
          progress.add(event);
          if (Date.now() - last > 250) {
            last = Date.now();
            log.progress(progress.line(ref));
          }
        }),
      ),
    ]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  // The daemon reports a failure after the first progress line in the stream itself.
  if (failure !== undefined) throw mapDockerError(`pull ${ref}`, new Error(failure), 'the registry');
  log.progress(progress.line(ref));
}

/** The body of DockerClient.exec (only the client calls it). */
export async function execCollect(
  container: Docker.Container,
  modem: Modem,
  call: Call,
  cmd: string[],
  opts: { timeoutMs: number; stdin?: string },
): Promise<ExecOutput> {
  const what = `exec ${cmd[0] ?? ''} in ${container.id.slice(0, 12)}`;
  const attachStdin = opts.stdin !== undefined;
  const exec = await call(what, () =>
    container.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: attachStdin }),
  );
  const stream = await call(what, () => exec.start({ hijack: true, stdin: attachStdin }));
  if (opts.stdin !== undefined) (stream as NodeJS.WritableStream).end(opts.stdin);
  const output = await collectOutput(modem, stream, opts.timeoutMs);
  const info = await call(what, () => exec.inspect()).catch(() => undefined);
  return { code: info?.ExitCode ?? null, output };
}

/** The body of DockerClient.followLogs (only the client calls it). */
export function followLines(
  container: Docker.Container,
  modem: Modem,
  call: Call,
  onLine: (line: string) => void,
): { stop(): void; done: Promise<void> } {
  let stream: NodeJS.ReadableStream | undefined;
  let stopped = false;
  const done = call(`logs -f ${container.id.slice(0, 12)}`, async () => {
    const s = await container.logs({ follow: true, stdout: true, stderr: true });
    stream = s;
    if (stopped) return destroy(s);
    const sink = lineSink(onLine);
    await new Promise<void>((resolve, reject) => {
      s.on('end', resolve);
      s.on('close', resolve);
      s.on('error', (err) => (stopped ? resolve() : reject(err)));
      modem.demuxStream(s, sink, sink);
    });
  });
  return {
    stop: () => {
      stopped = true;
      destroy(stream);
    },
    done,
  };
}
