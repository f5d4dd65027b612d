import { type CheckedJson, readCheckedJson, writeCheckedJson } from './manifest.js';

/**
 * A top-layers entry's `layers.json`: the image the archive completes, and
 * the published image it completes, by digest. Checksummed like the archive.
 */
export const LAYERS_MANIFEST = 'layers.json';

/** Bumped when a top-layers entry's layout changes; part of its cache key (key.ts). */
export const LAYERS_FORMAT = 'layers-1';

/** The published image a top-layers entry sits on. */
export interface BaseImage {
  /** The repository it is pulled from, and the digest it is pulled by. */
  repository: string;
  digest: string;
  /** Its local image id (the configuration's digest) and its layers' diff ids, bottom first. */
  id: string;
  layers: string[];
}

export interface LayersManifest {
  format: typeof LAYERS_FORMAT;
  /** The image the entry restores, and its image id once loaded. */
  ref: string;
  imageId: string;
  base: BaseImage;
  /** Diff ids of the layers the archive holds, bottom first. */
  top: string[];
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const isDigests = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string' && DIGEST.test(x));

/** The first field of `m` that is missing or not valid, if any. */
export function badLayersField(m: Record<string, unknown>): string | undefined {
  if (m.format !== LAYERS_FORMAT) return 'format';
  if (typeof m.ref !== 'string' || !m.ref) return 'ref';
  if (typeof m.imageId !== 'string' || !DIGEST.test(m.imageId)) return 'imageId';
  if (!isDigests(m.top) || m.top.length === 0) return 'top';
  const b = m.base;
  if (typeof b !== 'object' || b === null) return 'base';
  const base = b as Record<string, unknown>;
  if (typeof base.repository !== 'string' || !base.repository) return 'base.repository';
  if (typeof base.digest !== 'string' || !DIGEST.test(base.digest)) return 'base.digest';
  if (typeof base.id !== 'string' || !DIGEST.test(base.id)) return 'base.id';
  if (!isDigests(base.layers) || base.layers.length === 0) return 'base.layers';
  return undefined;
}

export function writeLayersManifest(dir: string, manifest: LayersManifest): Promise<void> {
  return writeCheckedJson(dir, LAYERS_MANIFEST, manifest);
}

export type LayersVerdict = CheckedJson<LayersManifest>;

/** Read and check a top-layers entry's manifest: its checksum, then its shape. */
export function readLayersManifest(dir: string): Promise<LayersVerdict> {
  return readCheckedJson<LayersManifest>(dir, LAYERS_MANIFEST, badLayersField);
}
