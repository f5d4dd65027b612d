import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../cache/integrity.js';
import { cacheKey, isCustomBake, type LayersKeyParts } from '../cache/key.js';
import { fromImages, hashTree, withImageIds } from '../cache/recipe.js';
import type { DockerClient } from '../docker/client.js';
import { VERSION } from '../version.js';
import { localNodeImage } from './versions.js';

/** What a bake is asked for: everything that decides its bytes. */
export interface BakeSpec {
  k8sVersion: string;
  kubeSource: string;
  preload: readonly string[];
  beforeCluster?: string | undefined;
  afterCluster?: string | undefined;
  /** The user's own addition to the cache key; empty when not given. */
  cacheKeySuffix: string;
  /** The image recipe directory (image/) and the node's architecture. */
  imageDir: string;
  arch: string;
  /** A node image repository the user named (a mirror): what the cache entry holds may come from it. */
  repository?: string | undefined;
}

/** The baked image a run wants, and the cache key for it. */
export interface ImagePlan {
  ref: string;
  key: string;
  /** Preloads or hooks make it differ from the plain (published) node image. */
  custom: boolean;
  /**
   * Preloads, hooks or both: the image can be made from the published one
   * (customizeImage) and cached as the layers above it, under the key these
   * parts give with the published image's digest (layersKey).
   */
  layers?: Omit<LayersKeyParts, 'baseRepository' | 'baseDigest'> | undefined;
}

/**
 * Hash everything that decides the baked bytes into the cache key. A custom
 * bake gets a tag of its own, so it never shadows the plain image.
 */
export async function planImage(docker: DockerClient, spec: BakeSpec): Promise<ImagePlan> {
  const [recipe, dockerfile] = await Promise.all([
    hashTree(spec.imageDir),
    readFile(join(spec.imageDir, 'Dockerfile'), 'utf8'),
  ]);
  const hooks: Record<string, string> = {};
  if (spec.beforeCluster) hooks['before-cluster'] = await sha256File(spec.beforeCluster);
  if (spec.afterCluster) hooks['after-cluster'] = await sha256File(spec.afterCluster);
  const parts = {
    toolVersion: VERSION,
    k8sVersion: spec.k8sVersion,
    kubeSource: spec.kubeSource,
    arch: spec.arch,
    recipe,
    baseImages: await withImageIds(docker, fromImages(dockerfile)),
    preload: spec.preload,
    hooks,
    suffix: spec.cacheKeySuffix,
    ...(spec.repository ? { repository: spec.repository } : {}),
  };
  const key = cacheKey(parts);
  const custom = isCustomBake(parts);
  const plain = localNodeImage(spec.k8sVersion);
  const ref = custom ? `${plain}-c${createHash('sha256').update(key).digest('hex').slice(0, 12)}` : plain;
  const layers = layeredParts(spec, hooks);
  return { ref, key, custom, layers };
}

/**
 * Pure: the top-layers key's parts for a bake that adds preloads or hooks
 * (`hooks`: each given hook's name and content hash) to the published image;
 * undefined for the plain image, which is the published one itself.
 */
export function layeredParts(
  spec: Pick<BakeSpec, 'k8sVersion' | 'arch' | 'preload' | 'cacheKeySuffix'>,
  hooks: Record<string, string>,
): ImagePlan['layers'] {
  if (!isCustomBake({ preload: spec.preload, hooks })) return undefined;
  return {
    toolVersion: VERSION,
    k8sVersion: spec.k8sVersion,
    arch: spec.arch,
    preload: spec.preload,
    hooks,
    suffix: spec.cacheKeySuffix,
  };
}
