import { restoreImage } from '../cache/image-cache.js';
import type { CacheStore } from '../cache/store.js';
import type { DockerClient } from '../docker/client.js';
import { AgentModeMissingError, errorMessage, ImageNotFoundError } from '../errors.js';
import type { Logger } from '../logger.js';
import { round } from '../ready/wait.js';
import { type LayeredBase, layeredBase, restoreTopLayers } from './layered.js';
import type { ImagePlan } from './plan.js';
import { type PublishedSource, publishedRef, publishedSource, pullOrReason } from './published.js';
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
  /**
   * Adds the plan's preloads and hooks to the pulled published image (`base`,
   * local; `pinned`, by digest), as `tag`; absent: not offered, a custom image
   * is baked. An AgentModeMissingError (an older published image): baked.
   */
  customize?:
    | ((base: { ref: string; pinned: string }, tag: string, signal: AbortSignal) => Promise<void>)
    | undefined;
}

export interface Resolution {
  ref: string;
  source: ImageSource;
  cacheHit: boolean;
  /** Seconds per step of finding the image (cache-restore, pull, customize, bake). */
  steps: Record<string, number>;
  /** The image is a published one plus layers of its own: what a cache save keeps (key and base). */
  layers?: LayeredBase | undefined;
}

/**
 * The one image policy of every adapter: an explicit image (local, else
 * pull); otherwise the baked image locally, else from the cache, else the
 * published one (plain bakes only), else bake it here. An image that only
 * adds preloads to the published one is, before the cache of whole images,
 * the published image plus cached top layers; else, after that cache, the
 * published image pulled and customized (source bake); else baked here.
 */
export async function resolveImage(
  docker: DockerClient,
  req: ImageRequest,
  log: Logger,
  signal: AbortSignal,
): Promise<Resolution> {
  const steps: Record<string, number> = {};
  const done = (ref: string, source: ImageSource, cacheHit = false, layers?: LayeredBase): Resolution => ({
    ref,
    source,
    cacheHit,
    steps,
    ...(layers ? { layers } : {}),
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
    const layered =
      req.plan && req.customize
        ? await layeredBase(docker, source, req.k8sVersion, req.plan, log)
        : undefined;
    // False once the published image could not be pulled (one warning said so): not asked again.
    let basePull = true;
    if (req.plan && req.cache && layered) {
      const top = await restoreTopLayers(
        docker,
        req.plan,
        layered,
        source,
        req.k8sVersion,
        req.cache,
        log,
        signal,
        steps,
      );
      if (top && 'ref' in top) return done(top.ref, 'cache', true);
      basePull = top === undefined;
    }
    if (req.plan && req.cache) {
      const restored = await restoreWhole(
        docker,
        req.plan,
        req.cache,
        custom ? [] : [published],
        log,
        signal,
        steps,
      );
      if (restored) return done(restored, 'cache', true);
    }
    if (layered && basePull && req.customize && req.build !== 'never') {
      const pulled = await pullOrReason(
        docker,
        source,
        req.k8sVersion,
        'baking the image here instead',
        log,
        signal,
        steps,
      );
      if ('ref' in pulled) {
        const t = performance.now();
        const made = await req
          .customize({ ref: pulled.ref, pinned: `${layered.repository}@${layered.digest}` }, ref, signal)
          .then(
            () => true,
            (err: unknown) => {
              // An older published image: its agent cannot run hooks; said once, then baked here.
              if (!(err instanceof AgentModeMissingError)) throw err;
              log.warn(`${err.message}; baking the image here instead`);
              return false;
            },
          );
        steps.customize = round((performance.now() - t) / 1000);
        if (made) {
          log.info(
            `image path: the published ${layered.repository}@${layered.digest.slice(0, 19)}… pulled, ${added(req.plan)}`,
          );
          return done(ref, 'bake', false, layered);
        }
      }
    }
    if (!custom) {
      const next = req.build === 'never' || !req.bake ? 'giving up' : 'baking the image here instead';
      const pulled = await pullOrReason(docker, source, req.k8sVersion, next, log, signal, steps);
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

/** What the customization added, for the image path line. */
function added(plan: ImagePlan | undefined): string {
  const hooks = Object.keys(plan?.layers?.hooks ?? {}).length > 0;
  const preloads = (plan?.layers?.preload.length ?? 0) > 0;
  if (hooks && preloads) return 'preloads added, hooks run';
  return hooks ? 'hooks run' : 'preloads added';
}

/** The whole image from the cache (the entry of a bake or a pull); its reference, or undefined. */
async function restoreWhole(
  docker: DockerClient,
  plan: ImagePlan,
  cache: NonNullable<ImageRequest['cache']>,
  accept: string[],
  log: Logger,
  signal: AbortSignal,
  steps: Record<string, number>,
): Promise<string | undefined> {
  const t = performance.now();
  const restored = await restoreImage(
    docker,
    plan.ref,
    { ...cache, key: plan.key, prefixes: [`${plan.key}-`], ...(accept.length ? { accept } : {}), signal },
    log,
  );
  steps['cache-restore'] = round((performance.now() - t) / 1000 + (steps['cache-restore'] ?? 0));
  if (!restored.hit) {
    log.info(`cache miss: ${restored.reason}`);
    return undefined;
  }
  steps['cache-fetch'] = restored.seconds.restore;
  steps['cache-verify'] = restored.seconds.verify;
  steps['cache-load'] = restored.seconds.load;
  return restored.ref;
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
 * `up`'s image step for an adapter: resolves with `req` when `up` asks, and keeps the resolution so
 * the adapter can say afterwards where the image came from.
 */
export function imageResolver(
  docker: DockerClient,
  req: ImageRequest,
  log: Logger,
): { resolve: (signal: AbortSignal) => Promise<string>; resolution: () => Resolution | undefined } {
  let resolution: Resolution | undefined;
  return {
    resolve: async (signal) => {
      resolution = await resolveImage(docker, req, log, signal);
      return resolution.ref;
    },
    resolution: () => resolution,
  };
}
