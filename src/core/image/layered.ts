import { layersKey } from '../cache/key.js';
import { restoreLayers } from '../cache/layer-cache.js';
import type { BaseImage } from '../cache/layer-manifest.js';
import type { CacheStore } from '../cache/store.js';
import type { DockerClient } from '../docker/client.js';
import { usesContainerdStore } from '../docker/image-transfer.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { round } from '../ready/wait.js';
import type { ImagePlan } from './plan.js';
import { type PublishedSource, publishedRef, pullOrReason, pullSkipReason } from './published.js';

/** The published image a customized one sits on, and the key of its top-layers entry. */
export interface LayeredBase {
  key: string;
  repository: string;
  digest: string;
  /** REPOSITORY:vX.Y.Z, the name it has locally once pulled. */
  ref: string;
}

/**
 * The digest the published image is pulled by: the version table's pin, else
 * what the mirror's tag names now (asked through the daemon; nothing is
 * downloaded), else what a local copy was pulled by. Undefined: no layered path.
 */
export async function layeredBase(
  docker: DockerClient,
  source: PublishedSource,
  version: string,
  plan: ImagePlan,
  log: Logger,
): Promise<LayeredBase | undefined> {
  if (!plan.layers || pullSkipReason(source, version)) return undefined;
  const ref = publishedRef(source, version);
  let digest = source.digest;
  if (!digest) {
    digest = await docker
      .registry()
      .distribution(ref, source.auth)
      .then((d) => d.digest)
      .catch((err: unknown) => {
        log.info(`${ref}: the registry does not say its digest (${errorMessage(err)})`);
        return undefined;
      });
  }
  if (!digest) {
    const local = await docker.inspectImage(ref);
    digest = local?.RepoDigests?.find((d) => d.startsWith(`${source.repository}@`))?.split('@')[1];
  }
  if (!digest) return undefined;
  const key = layersKey({ ...plan.layers, baseRepository: source.repository, baseDigest: digest });
  return { key, repository: source.repository, digest, ref };
}

/**
 * The customized image from a top-layers entry: the base found locally or
 * pulled (by the digest the entry names), then the layers above it loaded.
 * Skipped on a daemon whose image store cannot take such an archive.
 * `pullFailed`: the published image could not be pulled for it.
 */
export async function restoreTopLayers(
  docker: DockerClient,
  plan: ImagePlan,
  base: LayeredBase,
  source: PublishedSource,
  version: string,
  cache: { store: CacheStore; workDir: string; toolPath: string },
  log: Logger,
  signal: AbortSignal,
  steps: Record<string, number>,
): Promise<{ ref: string } | { pullFailed: string } | undefined> {
  if (usesContainerdStore(await docker.info())) return undefined;
  const t = performance.now();
  let pullFailed: string | undefined;
  const restored = await restoreLayers(
    docker,
    plan.ref,
    {
      ...cache,
      key: base.key,
      prefixes: [`${base.key}-`],
      signal,
      ensureBase: async (b: BaseImage) => {
        const found = await ensureBase(docker, b, base, source, version, log, signal, steps);
        if ('reason' in found && found.reason.startsWith('pull ')) pullFailed = found.reason;
        return found;
      },
    },
    log,
  );
  steps['cache-restore'] = round((performance.now() - t) / 1000);
  if (!restored.hit) {
    log.info(`no top layers restored: ${restored.reason}`);
    // The published image could not be pulled (one warning said so): not asked again.
    return pullFailed ? { pullFailed } : undefined;
  }
  log.info(
    `image path: the published ${base.repository}@${base.digest.slice(0, 19)}… plus its cached top layers`,
  );
  return { ref: restored.ref };
}

/** The entry's base, local: by its digest if present, else pulled (one warning when it cannot be). */
async function ensureBase(
  docker: DockerClient,
  want: BaseImage,
  base: LayeredBase,
  source: PublishedSource,
  version: string,
  log: Logger,
  signal: AbortSignal,
  steps: Record<string, number>,
): Promise<{ ref: string } | { reason: string }> {
  if (want.repository !== base.repository || want.digest !== base.digest) {
    return {
      reason: `the entry names ${want.repository}@${want.digest}, not ${base.repository}@${base.digest}`,
    };
  }
  if ((await docker.imageId(base.ref)) === want.id) return { ref: base.ref };
  const pinned = `${want.repository}@${want.digest}`;
  if ((await docker.imageId(pinned)) === want.id) return { ref: pinned };
  return pullOrReason(docker, source, version, 'making the image another way', log, signal, steps);
}
