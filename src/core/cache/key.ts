import { createHash } from 'node:crypto';
import { LAYERS_FORMAT } from './layer-manifest.js';
import { ENTRY_FORMAT } from './manifest.js';

/** Everything that decides the bytes of a baked node image. */
export interface CacheKeyParts {
  toolVersion: string;
  k8sVersion: string;
  kubeSource: string;
  /** CPU architecture of the node image (amd64, arm64). */
  arch: string;
  /** sha256 of the image recipe (the image/ directory: Dockerfile, agent, scripts). */
  recipe: string;
  /** Base images named by the Dockerfile with their local image ids where known. */
  baseImages: readonly string[];
  /** Preload references as given (a digest in the reference pins it). */
  preload: readonly string[];
  /** sha256 of each hook file's content, by hook name; absent hooks are left out. */
  hooks: Readonly<Record<string, string>>;
  /** The user's own addition (`cache-key-suffix`), empty when not given. */
  suffix: string;
  /** A node image repository the user named, whose pulled image an entry may hold. */
  repository?: string;
}

export const CACHE_KEY_PREFIX = 'kind-action-node';

/**
 * The cache key: readable fields a person can match in the cache list, then
 * a hash over every part, so any change in what is baked gives a new key.
 * Preload order does not matter; hook content does, hook paths do not. The
 * entry's layout (ENTRY_FORMAT) is in the hash too, so an entry written in
 * another layout is never restored.
 */
export function cacheKey(parts: CacheKeyParts): string {
  const canonical = JSON.stringify({
    format: ENTRY_FORMAT,
    tool: parts.toolVersion,
    k8s: parts.k8sVersion,
    source: parts.kubeSource,
    arch: parts.arch,
    recipe: parts.recipe,
    base: [...parts.baseImages].sort(),
    preload: [...new Set(parts.preload)].sort(),
    hooks: Object.keys(parts.hooks)
      .sort()
      .map((name) => [name, parts.hooks[name]]),
    suffix: parts.suffix,
    ...(parts.repository ? { repository: parts.repository } : {}),
  });
  const digest = createHash('sha256').update(canonical).digest('hex').slice(0, 20);
  const readable = [
    CACHE_KEY_PREFIX,
    `v${parts.k8sVersion}`,
    parts.kubeSource,
    `linux-${parts.arch}`,
    `t${parts.toolVersion}`,
    digest,
  ];
  if (parts.suffix) readable.push(parts.suffix);
  return readable.join('-');
}

/** True when the bake differs from the plain node image of its version. */
export function isCustomBake(parts: Pick<CacheKeyParts, 'preload' | 'hooks'>): boolean {
  return parts.preload.length > 0 || Object.keys(parts.hooks).length > 0;
}

/** Everything that decides the bytes of a published node image with the user's preloads and hooks added. */
export interface LayersKeyParts {
  toolVersion: string;
  k8sVersion: string;
  arch: string;
  /** The published image the layers sit on: its repository and the digest it is pulled by. */
  baseRepository: string;
  baseDigest: string;
  preload: readonly string[];
  hooks: Readonly<Record<string, string>>;
  suffix: string;
}

/**
 * The key of a top-layers entry (the layers above a published image). The
 * base's digest is in it, so a new published image (a new pin, or a mirror's
 * tag moved) is a new key, as are other preloads or hooks; the entry layout
 * (LAYERS_FORMAT) too.
 */
export function layersKey(parts: LayersKeyParts): string {
  const canonical = JSON.stringify({
    format: LAYERS_FORMAT,
    tool: parts.toolVersion,
    k8s: parts.k8sVersion,
    arch: parts.arch,
    base: `${parts.baseRepository}@${parts.baseDigest}`,
    preload: [...new Set(parts.preload)].sort(),
    hooks: Object.keys(parts.hooks)
      .sort()
      .map((name) => [name, parts.hooks[name]]),
    suffix: parts.suffix,
  });
  const digest = createHash('sha256').update(canonical).digest('hex').slice(0, 20);
  const readable = [
    CACHE_KEY_PREFIX,
    `v${parts.k8sVersion}`,
    'layers',
    `linux-${parts.arch}`,
    `t${parts.toolVersion}`,
    digest,
  ];
  if (parts.suffix) readable.push(parts.suffix);
  return readable.join('-');
}
