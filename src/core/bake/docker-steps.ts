import { Writable } from 'node:stream';
import type { DockerClient } from '../docker/client.js';
import { abortError, BakeError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';

/** The entrypoint a baked node starts with (tini reaps and forwards signals). */
export const NODE_ENTRYPOINT = ['/usr/bin/tini', '-g', '--', '/kind/bin/kind-agent'];

interface BuildEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** docker build of a prepared context directory, with each step as a progress line. */
export async function buildImage(
  docker: DockerClient,
  dir: string,
  entries: string[],
  tag: string,
  labels: Record<string, string>,
  log: Logger,
): Promise<void> {
  const stream = await docker.call(`build ${tag}`, () =>
    docker.api.buildImage({ context: dir, src: entries }, { t: tag, labels, rm: true, forcerm: true }),
  );
  await new Promise<void>((resolve, reject) => {
    docker.api.modem.followProgress(
      stream,
      (err: Error | null, events: BuildEvent[]) => {
        const failed = events?.find((e) => e.error);
        if (err || failed)
          reject(new BakeError(`docker build ${tag}: ${failed?.error ?? errorMessage(err)}`));
        else resolve();
      },
      (event: BuildEvent) => {
        const line = event.stream?.trim();
        if (line?.startsWith('Step ')) log.progress(`base image: ${line}`);
      },
    );
  });
  log.info(`built ${tag}`);
}

/** Stream a container's log lines to `onLine` until the returned stop function is called. */
export function followLogs(docker: DockerClient, id: string, onLine: (line: string) => void): () => void {
  let stream: NodeJS.ReadableStream | undefined;
  let stopped = false;
  let pending = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done): void {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) onLine(l.trim());
      done();
    },
  });
  docker.api
    .getContainer(id)
    .logs({ follow: true, stdout: true, stderr: true })
    .then((s) => {
      stream = s;
      if (stopped) (s as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      else docker.api.modem.demuxStream(s, sink, sink);
    })
    .catch(() => {});
  return () => {
    stopped = true;
    (stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined)?.destroy?.();
  };
}

/** Wait for the container to exit; an abort kills it. Returns the exit code. */
export async function waitForExit(docker: DockerClient, id: string, signal: AbortSignal): Promise<number> {
  const container = docker.api.getContainer(id);
  const onAbort = (): void => {
    container.kill().catch(() => {});
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const res = (await docker.call(`wait ${id.slice(0, 12)}`, () => container.wait())) as {
      StatusCode: number;
    };
    if (signal.aborted) throw abortError(signal);
    return res.StatusCode;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** Commit the bootstrapped container as the node image, restoring its start command. */
export async function commitNode(
  docker: DockerClient,
  id: string,
  tag: string,
  meta: { k8sVersion: string; hash: string },
): Promise<void> {
  const colon = tag.lastIndexOf(':');
  const slash = tag.lastIndexOf('/');
  const [repo, version] = colon > slash ? [tag.slice(0, colon), tag.slice(colon + 1)] : [tag, 'latest'];
  await docker.call(`commit ${tag}`, () =>
    docker.api.getContainer(id).commit({
      repo,
      tag: version,
      changes: [
        `ENTRYPOINT ${JSON.stringify(NODE_ENTRYPOINT)}`,
        'CMD []',
        `LABEL io.kind-action.k8s-version=${meta.k8sVersion} io.kind-action.baked=true io.kind-action.context-hash=${meta.hash}`,
      ],
    }),
  );
}
