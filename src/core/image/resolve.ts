import { restoreImage } from '../cache/image-cache.js';
import type { CacheStore } from '../cache/store.js';
import type { DockerClient } from '../docker/client.js';
import { errorMessage, ImageNotFoundError, PullFailedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { nodeArch } from '../package.js';
import { round } from '../ready/wait.js';
import type { ImagePlan } from './plan.js';
import {
  type PublishedSource,
  publishedRef,
  publishedSource,
  pullPublished,
  pullSkipReason,
} from './published.js';
import { localNodeImage } from './versions.js';

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
  /** Where the published image is pulled from; absent: the table's repository, pinned by digest. */
  published?: PublishedSource | undefined;
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
  const source = req.published ?? publishedSource(req.k8sVersion, undefined, undefined);
  const published = publishedRef(source, req.k8sVersion);
  if (req.build !== 'always') {
    // A repository the user named is the image they asked for: a local bake is not it.
    const local = custom ? [ref] : source.explicit ? [published] : [ref, published];
    for (const candidate of local) if (await docker.imageExists(candidate)) return done(candidate, 'local');
    if (req.plan && req.cache) {
      const t = performance.now();
      const restored = await restoreImage(
        docker,
        ref,
        {
          ...req.cache,
          key: req.plan.key,
          prefixes: [`${req.plan.key}-`],
          ...(custom ? {} : { accept: [published] }),
          signal,
        },
        log,
      );
      steps['cache-restore'] = round((performance.now() - t) / 1000);
      if (restored.hit) {
        steps['cache-fetch'] = restored.seconds.restore;
        steps['cache-verify'] = restored.seconds.verify;
        steps['cache-load'] = restored.seconds.load;
        return done(restored.ref, 'cache', true);
      }
      log.info(`cache miss: ${restored.reason}`);
    }
    if (!custom) {
      const pulled = await pullOrReason(docker, source, req, log, signal, steps);
      if ('ref' in pulled) return done(pulled.ref, 'pull');
      if (!req.bake && req.build !== 'never') throw new ImageNotFoundError(pulled.reason);
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

/**
 * The published image, pulled; or why not. A registry that cannot serve it
 * is one warning naming the reference and the reason; a refusal (digest or
 * architecture) is thrown, never fallen back from.
 */
async function pullOrReason(
  docker: DockerClient,
  source: PublishedSource,
  req: ImageRequest,
  log: Logger,
  signal: AbortSignal,
  steps: Record<string, number>,
): Promise<{ ref: string } | { reason: string }> {
  const skip = pullSkipReason(source, req.k8sVersion);
  if (skip) {
    log.info(`not pulling: ${skip}`);
    return { reason: skip };
  }
  const t = performance.now();
  try {
    return { ref: await pullPublished(docker, source, req.k8sVersion, nodeArch(), log, signal) };
  } catch (err) {
    if (!(err instanceof PullFailedError)) throw err;
    const next = req.build === 'never' || !req.bake ? 'giving up' : 'baking the image here instead';
    log.warn(`could not pull ${err.detail}; ${next}`);
    return { reason: `pull ${err.detail}` };
  } finally {
    steps.pull = round((performance.now() - t) / 1000);
  }
}
