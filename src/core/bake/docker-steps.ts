import type { DockerClient } from '../docker/client.js';
import { abortError, BakeError, errorMessage } from '../errors.js';
import { splitTag } from '../image/reference.js';
import type { Logger } from '../logger.js';

/** The entrypoint a baked node starts with (tini reaps and forwards signals). */
export const NODE_ENTRYPOINT = ['/usr/bin/tini', '-g', '--', '/kind/bin/kind-agent'];

/** docker build of a prepared context directory, with each step as a progress line. */
export async function buildImage(
  docker: DockerClient,
  dir: string,
  entries: string[],
  tag: string,
  labels: Record<string, string>,
  log: Logger,
  platform?: string,
): Promise<void> {
  const events = await docker
    .buildImage(dir, entries, { tag, labels, ...(platform ? { platform } : {}) }, (event) => {
      const line = event.stream?.trim();
      if (line?.startsWith('Step ')) log.progress(`base image: ${line}`);
    })
    .catch((err: unknown) => {
      throw new BakeError(`docker build ${tag}: ${errorMessage(err)}`, { cause: err });
    });
  const failed = events.find((e) => e.error);
  if (failed) throw new BakeError(`docker build ${tag}: ${failed.errorDetail?.message ?? failed.error}`);
  log.info(`built ${tag}`);
}

/** Wait for the container to exit; an abort kills it. Returns the exit code. */
export async function waitForExit(docker: DockerClient, id: string, signal: AbortSignal): Promise<number> {
  const onAbort = (): void => {
    // Killing an exiting container may fail; the wait below reports the outcome.
    docker.killContainer(id).catch(() => {});
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    const code = await docker.waitContainer(id);
    if (signal.aborted) throw abortError(signal);
    return code;
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
  const [repo, version] = splitTag(tag);
  await docker.commitContainer(id, {
    repo,
    tag: version,
    changes: [
      `ENTRYPOINT ${JSON.stringify(NODE_ENTRYPOINT)}`,
      'CMD []',
      `LABEL io.kind-action.k8s-version=${meta.k8sVersion} io.kind-action.baked=true io.kind-action.context-hash=${meta.hash}`,
    ],
  });
}

/**
 * Refuse a built image of another CPU architecture than the node's: a daemon
 * without that architecture's base image builds `FROM` the one it has (Docker's
 * classic builder does so silently), which would put the node's binaries on a
 * userland they cannot run with. The image is removed.
 */
export async function expectArchitecture(docker: DockerClient, tag: string, arch: string): Promise<void> {
  const built = (await docker.inspectImage(tag))?.Architecture;
  if (built === undefined || built === arch) return;
  await docker.removeImage(tag);
  throw new BakeError(
    `${tag} was built for ${built}, not ${arch}: this Docker daemon has no ${arch} base image ` +
      `(debian:trixie-slim for linux/${arch}); seed one, or bake on a ${arch} machine`,
    { field: 'arch' },
  );
}
