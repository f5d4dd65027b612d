import { PassThrough } from 'node:stream';
import type { DockerClient } from '../core/docker/client.js';

export interface ExecOutput {
  code: number | null;
  output: string;
}

/**
 * Run a fixed command inside the node container (no shell, no user input in
 * it) and collect stdout and stderr together, with a time limit.
 */
export async function execInNode(
  docker: DockerClient,
  id: string,
  cmd: string[],
  timeoutMs = 20_000,
): Promise<ExecOutput> {
  const what = `exec ${cmd[0] ?? ''} in ${id.slice(0, 12)}`;
  const exec = await docker.call(what, () =>
    docker.api.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true }),
  );
  const stream = await docker.call(what, () => exec.start({ hijack: true, stdin: false }));
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
