import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerClient } from '../docker/client.js';
import { usesContainerdStore } from '../docker/image-transfer.js';
import { errorMessage, IntegrityError } from '../errors.js';
import type { Logger } from '../logger.js';
import { round } from '../ready/wait.js';
import { CODECS, type Codec, defaultCodec, usable } from './codec.js';
import { fetchEntry, lapTimer, mb } from './entry.js';
import { flushWhile } from './flush.js';
import { DEFAULT_MAX_ENTRY_BYTES, type ImageCacheOptions, type RestoreResult } from './image-cache.js';
import { verifyChecksum } from './integrity.js';
import { type BaseImage, LAYERS_FORMAT, readLayersManifest, writeLayersManifest } from './layer-manifest.js';
import { layersFile, loadTopLayers, readSavedImage, saveToFile, writeTopLayers } from './layers.js';
import type { CacheStore } from './store.js';

/** A top-layers entry that does not verify: its archive or manifest is not what was saved. */
export class LayerIntegrityError extends IntegrityError {}

/** Makes the entry's base image local (found or pulled); its local reference, or why not. */
export type EnsureBase = (base: BaseImage) => Promise<{ ref: string } | { reason: string }>;

type Options = Pick<ImageCacheOptions, 'store' | 'key' | 'prefixes' | 'workDir' | 'toolPath' | 'signal'>;

/**
 * Restore `ref` from a top-layers entry: fetch it, verify the archive's and
 * the manifest's sha256 before anything is loaded, make the published base
 * local (`ensureBase`: found, else pulled by digest) and check it is the image
 * the entry was made on, then `docker load` the layers above it and check the
 * loaded image's id. A corrupt entry is one warning (LayerIntegrityError),
 * removed where the store can, and a miss; nothing of a failed load is left.
 */
export async function restoreLayers(
  docker: DockerClient,
  ref: string,
  opts: Options & { ensureBase: EnsureBase },
  log: Logger,
): Promise<RestoreResult> {
  const t0 = performance.now();
  const lap = lapTimer();
  try {
    const found = await fetchEntry(opts.store, opts.workDir, opts.key, opts.prefixes, log);
    if (typeof found !== 'string') return found;
    const restore = lap();
    const codec = await entryCodec(opts.workDir);
    if (!codec) return await refuse(opts.store, found, 'it holds no layers archive', log);
    if (!usable(codec, opts.toolPath)) return { hit: false, reason: `${codec.name} is not installed` };
    const file = join(opts.workDir, layersFile(codec));
    const verdict = await verifyChecksum(file);
    if (!verdict.ok) return await refuse(opts.store, found, verdict.reason, log);
    const read = await readLayersManifest(opts.workDir);
    if (!read.ok) return await refuse(opts.store, found, read.reason, log);
    const m = read.manifest;
    if (m.ref !== ref) return await refuse(opts.store, found, `it holds ${m.ref}, not ${ref}`, log);
    const verify = lap();
    const base = await opts.ensureBase(m.base);
    if ('reason' in base)
      return { hit: false, reason: `its base ${m.base.repository}@${m.base.digest}: ${base.reason}` };
    const local = await docker.inspectImage(base.ref);
    if (local?.Id !== m.base.id || !sameList(local.RootFS?.Layers ?? [], m.base.layers)) {
      log.info(`${base.ref} is not the image cache entry ${found} was made on; not using it`);
      return { hit: false, reason: `the entry was made on another image than ${base.ref}` };
    }
    const pulled = lap();
    const loading = (): Promise<string | undefined> => loadChecked(docker, codec, file, m.ref, m.imageId);
    const failure = docker.endpoint.kind === 'socket' ? await flushWhile(loading) : await loading();
    if (failure) {
      await docker.removeImage(m.ref).catch((err: unknown) => log.warn(errorMessage(err)));
      return await refuse(opts.store, found, failure, log);
    }
    const load = lap();
    log.info(
      `restored ${m.ref} from the ${opts.store.description} (${found}): the layers above ${m.base.repository}@${m.base.digest.slice(0, 19)}…, ` +
        `${mb(verdict.bytes)} ${codec.name}; fetch ${restore}s, verify ${verify}s, base ${pulled}s, load ${load}s`,
    );
    const seconds = { restore, verify, load: round((performance.now() - t0) / 1000 - restore - verify) };
    return { hit: true, ref: m.ref, key: found, bytes: verdict.bytes, seconds };
  } finally {
    await rm(opts.workDir, { recursive: true, force: true });
  }
}

/** Load the archive; the reason it failed, or undefined when `ref` is there with `imageId`. */
async function loadChecked(
  docker: DockerClient,
  codec: Codec,
  file: string,
  ref: string,
  imageId: string,
): Promise<string | undefined> {
  try {
    await loadTopLayers(docker, codec, file);
  } catch (err) {
    return `docker load failed: ${errorMessage(err)}`;
  }
  const id = await docker.imageId(ref);
  if (!id) return `docker load did not create ${ref}`;
  if (id !== imageId)
    return `the loaded ${ref} is ${id.slice(0, 19)}…, the entry says ${imageId.slice(0, 19)}…`;
  return undefined;
}

async function refuse(store: CacheStore, key: string, reason: string, log: Logger): Promise<RestoreResult> {
  const err = new LayerIntegrityError(`cache entry ${key} is corrupt or partial (${reason})`);
  log.warn(`${err.name}: ${err.message}; removing it and making the image another way`);
  const removed = await store.remove(key).catch(() => false);
  if (!removed) log.info(`the ${store.description} cannot delete entries; the next save will shadow it`);
  return { hit: false, reason: `corrupt entry: ${reason}` };
}

async function entryCodec(dir: string): Promise<Codec | undefined> {
  for (const codec of CODECS) {
    if (
      await access(join(dir, layersFile(codec))).then(
        () => true,
        () => false,
      )
    )
      return codec;
  }
  return undefined;
}

export type LayersSaveResult =
  | { saved: true; bytes: number; members: string[]; seconds: { archive: number; upload: number } }
  | { saved: false; reason: string; wholeImage: boolean };

/**
 * Save only the layers of `ref` above its published base `base` (local as
 * base.ref): `docker save`, then the archive without the base's layer files,
 * compressed, with `layers.json` naming the base by digest. A daemon on
 * containerd's image store (whose `docker load` wants every layer in the
 * archive) is answered with wholeImage: the caller saves the whole image.
 */
export async function saveLayers(
  docker: DockerClient,
  ref: string,
  base: { ref: string; repository: string; digest: string },
  saveKey: string,
  opts: Pick<Options, 'store' | 'workDir' | 'toolPath' | 'signal'> & { maxBytes?: number; codec?: Codec },
  log: Logger,
): Promise<LayersSaveResult> {
  const lap = lapTimer();
  if (usesContainerdStore(await docker.info())) {
    return {
      saved: false,
      wholeImage: true,
      reason:
        "this Docker keeps images in containerd's image store, whose `docker load` does not take an archive without its base layers",
    };
  }
  await rm(opts.workDir, { recursive: true, force: true });
  await mkdir(opts.workDir, { recursive: true });
  const saved = join(opts.workDir, 'image.tar');
  try {
    const [image, baseImage] = await Promise.all([docker.inspectImage(ref), docker.inspectImage(base.ref)]);
    if (!image || !baseImage)
      return { saved: false, wholeImage: false, reason: `${image ? base.ref : ref} is not present` };
    const layers = image.RootFS?.Layers ?? [];
    const baseLayers = baseImage.RootFS?.Layers ?? [];
    if (
      baseLayers.length === 0 ||
      !sameList(layers.slice(0, baseLayers.length), baseLayers) ||
      layers.length === baseLayers.length
    ) {
      return { saved: false, wholeImage: true, reason: `${ref} has no layers of its own above ${base.ref}` };
    }
    await saveToFile(docker, ref, saved);
    const contents = await readSavedImage(saved);
    if (!sameList(contents.diffIds, layers)) {
      return {
        saved: false,
        wholeImage: false,
        reason: `docker save of ${ref} holds other layers than the image`,
      };
    }
    const codec = opts.codec ?? defaultCodec(opts.toolPath);
    const file = join(opts.workDir, layersFile(codec));
    const written = await writeTopLayers(saved, contents, baseLayers.length, codec, file, opts.signal);
    await rm(saved, { force: true });
    const archive = lap();
    const max = opts.maxBytes ?? DEFAULT_MAX_ENTRY_BYTES;
    if (written.bytes > max) {
      return {
        saved: false,
        wholeImage: false,
        reason: `the archive is ${mb(written.bytes)}, over the ${mb(max)} limit`,
      };
    }
    await writeLayersManifest(opts.workDir, {
      format: LAYERS_FORMAT,
      ref,
      imageId: image.Id,
      base: { repository: base.repository, digest: base.digest, id: baseImage.Id, layers: baseLayers },
      top: layers.slice(baseLayers.length),
    });
    await opts.store.save(opts.workDir, saveKey);
    const upload = lap();
    log.info(
      `saved the layers of ${ref} above ${base.repository}@${base.digest.slice(0, 19)}… to the ${opts.store.description} ` +
        `as ${saveKey} (${mb(written.bytes)} ${codec.name}, ${layers.length - baseLayers.length} of ${layers.length} layers)`,
    );
    return { saved: true, bytes: written.bytes, members: written.members, seconds: { archive, upload } };
  } catch (err) {
    return { saved: false, wholeImage: false, reason: errorMessage(err) };
  } finally {
    await rm(opts.workDir, { recursive: true, force: true });
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
