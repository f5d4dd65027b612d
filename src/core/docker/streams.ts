import { PassThrough, Writable } from 'node:stream';

/** The part of docker-modem the client's streams use. */
export interface Modem {
  followProgress(
    stream: NodeJS.ReadableStream,
    onFinished: (err: Error | null, output: unknown[]) => void,
    onProgress?: (event: unknown) => void,
  ): void;
  demuxStream(
    stream: NodeJS.ReadableStream,
    stdout: NodeJS.WritableStream,
    stderr: NodeJS.WritableStream,
  ): void;
}

type Destroyable = NodeJS.ReadableStream & { destroy?: () => void };

export function destroy(stream: NodeJS.ReadableStream | undefined): void {
  (stream as Destroyable | undefined)?.destroy?.();
}

/** Every event of a JSON progress stream (pull, build, import), each also passed to `onEvent`. */
export function followProgress<E>(
  modem: Modem,
  stream: NodeJS.ReadableStream,
  onEvent?: (event: E) => void,
): Promise<E[]> {
  return new Promise((resolve, reject) => {
    modem.followProgress(
      stream,
      (err, out) => (err ? reject(err) : resolve((out ?? []) as E[])),
      onEvent ? (event) => onEvent(event as E) : undefined,
    );
  });
}

/**
 * stdout and stderr of an attached stream together, until it ends or
 * `timeoutMs` passes (then it is closed and a note appended).
 */
export async function collectOutput(
  modem: Modem,
  stream: NodeJS.ReadableStream,
  timeoutMs: number,
): Promise<string> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      destroy(stream);
      chunks.push(Buffer.from(`\n(stopped after ${timeoutMs / 1000}s)\n`));
      resolve();
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      resolve();
    };
    stream.on('end', finish);
    stream.on('error', finish);
  });
  return Buffer.concat(chunks).toString('utf8');
}

/** A stream that calls `onLine` with each non-blank line written to it, trimmed. */
export function lineSink(onLine: (line: string) => void): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done): void {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) onLine(l.trim());
      done();
    },
  });
}
