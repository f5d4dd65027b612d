import { PassThrough } from 'node:stream';
import type { DockerClient } from './client.js';

export interface ExecOutput {
  code: number | null;
  output: string;
}

/**
 * Run a command inside the node container as an argument vector (no shell)
 * and collect stdout and stderr together, with a time limit. `stdin`, when
 * given, is written to the command's standard input and closed: the way to
 * hand it a secret that must not appear in its arguments or environment.
 */
export async function execInNode(
  docker: DockerClient,
  id: string,
  cmd: string[],
  timeoutMs = 20_000,
  stdin?: string,
): Promise<ExecOutput> {
  const what = `exec ${cmd[0] ?? ''} in ${id.slice(0, 12)}`;
  const exec = await docker.call(what, () =>
    docker.api
      .getContainer(id)
      .exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, AttachStdin: stdin !== undefined }),
  );
  const stream = await docker.call(what, () => exec.start({ hijack: true, stdin: stdin !== undefined }));
  if (stdin !== undefined) (stream as NodeJS.WritableStream).end(stdin);
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  docker.api.modem.demuxStream(stream, sink, sink);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      chunks.push(Buffer.from(`\n(stopped after ${timeoutMs / 1000}s)\n`));
      resolve();
    }, timeoutMs);
    stream.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on('error', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  const info = await docker.call(what, () => exec.inspect()).catch(() => undefined);
  return { code: info?.ExitCode ?? null, output: Buffer.concat(chunks).toString('utf8') };
}
