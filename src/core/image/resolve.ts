import { restoreImage } from '../cache/image-cache.js';
import type { CacheStore } from '../cache/store.js';
import type { DockerClient } from '../docker/client.js';
import { errorMessage, ImageNotFoundError, KindActionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { round } from '../ready/wait.js';
import type { ImagePlan } from './plan.js';
import { localNodeImage, publishedNodeImage } from './versions.js';

export type ImageSource = 'given' | 'local' | 'cache' | 'pull' | 'bake';
export type BuildPolicy = 'auto' | 'always' | 'never';

export interface ImageRequest {
  /** An explicit image: used as is, pulled when absent. */
  image?: string | undefined;
  k8sVersion: string;
  /** auto: bake when nothing else serves; always: bake; never: fail instead of baking. */
  build: BuildPolicy;
  /** The bake wanted (tag and cache key); absent: the plain image of the version, no cache. */
  plan?: ImagePlan | undefined;
  /** Where baked images are cached; used with a plan. */
  cache?: { store: CacheStore; workDir: string; toolPath: string } | undefined;
  /** Builds the node image as `tag`; absent: baking is not offered. */
  bake?: ((tag: string, signal: AbortSignal) => Promise<void>) | undefined;
}

export interface Resolution {
  ref: string;
  source: ImageSource;
  cacheHit: boolean;
  /** Seconds per step of finding the image (cache-restore, pull, bake). */
  steps: Record<string, number>;
}

/**
 * The one image policy of every adapter: an explicit image (local, else
 * pull); otherwise the baked image locally, else from the cache, else the
 * published one (plain bakes only), else bake it here.
 */
export async function resolveImage(
  docker: DockerClient,
  req: ImageRequest,
  log: Logger,
  signal: AbortSignal,
): Promise<Resolution> {
  const steps: Record<string, number> = {};
  const done = (ref: string, source: ImageSource, cacheHit = false): Resolution => ({
    ref,
    source,
    cacheHit,
    steps,
  });
  if (req.image) return done(await givenImage(docker, req.image, signal), 'given');
  const ref = req.plan?.ref ?? localNodeImage(req.k8sVersion);
  const custom = req.plan?.custom ?? false;
  const published = publishedNodeImage(req.k8sVersion);
  if (req.build !== 'always') {
    if (await docker.imageExists(ref)) return done(ref, 'local');
    if (!custom && (await docker.imageExists(published))) return done(published, 'local');
    if (req.plan && req.cache) {
      const t = performance.now();
      const restored = await restoreImage(
        docker,
        ref,
        { ...req.cache, key: req.plan.key, prefixes: [`${req.plan.key}-`], signal },
        log,
      );
      steps['cache-restore'] = round((performance.now() - t) / 1000);
      if (restored.hit) {
        steps['cache-fetch'] = restored.seconds.restore;
        steps['cache-verify'] = restored.seconds.verify;
        steps['cache-load'] = restored.seconds.load;
        return done(ref, 'cache', true);
      }
      log.info(`cache miss: ${restored.reason}`);
    }
    if (!custom) {
      const t = performance.now();
      const failure = await docker.pull(published, signal).then(
        () => undefined,
        (err: unknown) => err,
      );
      steps.pull = round((performance.now() - t) / 1000);
      if (failure === undefined) return done(published, 'pull');
      if (signal.aborted) throw failure;
      if (!req.bake && req.build !== 'never') throw pullFailed(published, failure);
      log.info(`no published node image (${errorMessage(failure)})`);
    }
    if (req.build === 'never') {
      throw new ImageNotFoundError(
        `never, and ${ref} is not present locally${req.cache ? ', in the cache' : ''} or in a registry`,
        { field: 'build' },
      );
    }
  }
  if (!req.bake) throw new ImageNotFoundError(`${ref} must be baked, and baking is not offered here`);
  log.info(`baking ${ref} here`);
  const t = performance.now();
  await req.bake(ref, signal);
  steps.bake = round((performance.now() - t) / 1000);
  return done(ref, 'bake');
}

async function givenImage(docker: DockerClient, image: string, signal: AbortSignal): Promise<string> {
  if (await docker.imageExists(image)) return image;
  try {
    await docker.pull(image, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    throw new ImageNotFoundError(`${image}: not present locally and the pull failed (${errorMessage(err)})`, {
      field: 'image',
    });
  }
  return image;
}

function pullFailed(ref: string, err: unknown): KindActionError {
  if (err instanceof KindActionError) return err;
  return new ImageNotFoundError(`pull ${ref}: ${errorMessage(err)}`);
}
