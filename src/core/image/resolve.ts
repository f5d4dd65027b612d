import type { DockerClient } from '../docker/client.js';
import { errorMessage, ImageNotFoundError, KindActionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { localNodeImage, publishedNodeImage } from './versions.js';

export interface ResolveOptions {
  /** An explicit `--image`: used as is, pulled when absent. */
  image?: string;
  k8sVersion: string;
  /** Builds the node image locally; absent = baking not offered. */
  bake?: (tag: string, signal: AbortSignal) => Promise<void>;
}

/**
 * Find the node image to run: an explicit image (local, else pull); otherwise
 * the locally baked one for the version, else the published one, else bake.
 */
export async function resolveNodeImage(
  docker: DockerClient,
  opts: ResolveOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<string> {
  if (opts.image) {
    if (await docker.imageExists(opts.image)) return opts.image;
    try {
      await docker.pull(opts.image, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new ImageNotFoundError(
        `--image ${opts.image}: not present locally and the pull failed (${errorMessage(err)})`,
      );
    }
    return opts.image;
  }
  const local = localNodeImage(opts.k8sVersion);
  if (await docker.imageExists(local)) return local;
  const published = publishedNodeImage(opts.k8sVersion);
  if (await docker.imageExists(published)) return published;
  try {
    await docker.pull(published, signal);
    return published;
  } catch (err) {
    if (signal.aborted || !opts.bake) throw pullFailed(published, err);
    log.info(`no published node image (${errorMessage(err)}); baking ${local} locally`);
  }
  await opts.bake(local, signal);
  return local;
}

function pullFailed(ref: string, err: unknown): KindActionError {
  if (err instanceof KindActionError) return err;
  return new ImageNotFoundError(`pull ${ref}: ${errorMessage(err)}`);
}
