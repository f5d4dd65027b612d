import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerClient } from '../docker/client.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { exportImageArchive, importImageArchive } from './archive.js';
import { CODECS, type Codec, defaultCodec, usable } from './codec.js';
import { type CacheMiss, fetchEntry, lapTimer, mb } from './entry.js';
import { flushWhile } from './flush.js';
import { cacheableConfig, configDifferences, type ImageConfig } from './image-config.js';
import { verifyChecksum } from './integrity.js';
import { ENTRY_FORMAT, readManifest, writeManifest } from './manifest.js';
import type { CacheStore } from './store.js';

/** GitHub's cache holds 10 GB per repository; one entry may not take most of it. */
export const DEFAULT_MAX_ENTRY_BYTES = 6 * 1024 ** 3;

export interface ImageCacheOptions {
  store: CacheStore;
  /** The exact key to look for; `prefixes` are tried after it (newest first). */
  key: string;
  prefixes: readonly string[];
  /** A scratch directory for the entry's files; the same path on save and restore. */
  workDir: string;
  /** A PATH value: where the compression programs (zstd) are looked for. */
  toolPath: string;
  signal?: AbortSignal;
  /** Other references a restore may give back besides the one asked for (e.g. a pulled image). */
  accept?: readonly string[];
}

export type RestoreResult =
  | {
      hit: true;
      /** The image restored: the reference asked for, or one of `accept`. */
      ref: string;
      key: string;
      bytes: number;
      seconds: { restore: number; verify: number; load: number };
    }
  | CacheMiss;

/**
 * Restore the image `ref` from the cache: fetch the entry, verify the
 * sha256 of its archive and of its manifest, check the manifest names `ref`, then
 * `docker import` the archive with the recorded configuration and check the
 * image has it. A missing entry is a miss; a corrupt or partial one is a
 * warning, removed from the store, and a miss — never a failure, so the
 * caller rebuilds. Nothing of a failed import is left.
 */
export async function restoreImage(
  docker: DockerClient,
  ref: string,
  opts: ImageCacheOptions,
  log: Logger,
): Promise<RestoreResult> {
  const lap = lapTimer();
  try {
    const found = await fetchEntry(opts.store, opts.workDir, opts.key, opts.prefixes, log);
    if (typeof found !== 'string') return found;
    const restore = lap();
    const codec = await archiveCodec(opts.workDir);
    if (!codec) return await discard(opts.store, found, 'it holds no image archive', log);
    if (!usable(codec, opts.toolPath)) {
      log.warn(
        `cache entry ${found} is compressed with ${codec.name}, which is not installed here; building the image instead`,
      );
      return { hit: false, reason: `${codec.name} is not installed` };
    }
    const file = join(opts.workDir, codec.file);
    const verdict = await verifyChecksum(file);
    if (!verdict.ok) return await discard(opts.store, found, verdict.reason, log);
    const manifest = await readManifest(opts.workDir);
    const verify = lap();
    if (!manifest.ok) return await discard(opts.store, found, manifest.reason, log);
    const target = manifest.manifest.ref;
    if (target !== ref && !opts.accept?.includes(target)) {
      return await discard(opts.store, found, `the archive does not hold ${ref}`, log);
    }
    const importing = (): Promise<string | undefined> =>
      importChecked(docker, codec, file, target, manifest.manifest.config);
    // A daemon on this machine writes into this kernel's page cache (flush.ts).
    const failure = docker.endpoint.kind === 'socket' ? await flushWhile(importing) : await importing();
    if (failure) {
      await docker.removeImage(target).catch((err: unknown) => log.warn(errorMessage(err)));
      return await discard(opts.store, found, failure, log);
    }
    const load = lap();
    log.info(
      `restored ${target} from the ${opts.store.description} (${found}, ${mb(verdict.bytes)} ${codec.name}): ` +
        `fetch ${restore}s, verify ${verify}s, import ${load}s`,
    );
    return { hit: true, ref: target, key: found, bytes: verdict.bytes, seconds: { restore, verify, load } };
  } finally {
    await rm(opts.workDir, { recursive: true, force: true });
  }
}

/** Import the archive as `ref`; the reason it failed, or undefined. */
async function importChecked(
  docker: DockerClient,
  codec: Codec,
  file: string,
  ref: string,
  config: ImageConfig,
): Promise<string | undefined> {
  try {
    await importImageArchive(docker, codec, file, ref, config);
  } catch (err) {
    return `docker import failed: ${errorMessage(err)}`;
  }
  const image = await docker.inspectImage(ref);
  if (!image) return `docker import did not create ${ref}`;
  let differs: string[];
  try {
    differs = configDifferences(config, cacheableConfig(image.Config ?? {}));
  } catch (err) {
    return `the imported image's configuration: ${errorMessage(err)}`;
  }
  if (differs.length) return `the imported image's ${differs.join(', ')} differ from the entry's`;
  return undefined;
}

/** The codec whose archive file the restored entry holds. */
async function archiveCodec(dir: string): Promise<Codec | undefined> {
  const files = await readdir(dir).catch(() => [] as string[]);
  return CODECS.find((c) => files.includes(c.file));
}

async function discard(store: CacheStore, key: string, reason: string, log: Logger): Promise<RestoreResult> {
  log.warn(`cache entry ${key} is corrupt or partial (${reason}); removing it and building the image again`);
  const removed = await store.remove(key).catch(() => false);
  if (!removed) log.info(`the ${store.description} cannot delete entries; the next save will shadow it`);
  return { hit: false, reason: `corrupt entry: ${reason}` };
}

export type SaveResult =
  | { saved: true; bytes: number; seconds: { archive: number; upload: number } }
  | { saved: false; reason: string };

/**
 * Save the image `ref` under `saveKey`: its filesystem (`docker export` of a
 * container created from it), compressed (zstd where installed, else gzip),
 * and its configuration in `image.json`, each with its sha256 beside it;
 * then hand the directory to the store. Too large an archive, or a
 * configuration `docker import` could not give back, is skipped. Every
 * failure is returned as a reason, for the caller to warn about.
 */
export async function saveImage(
  docker: DockerClient,
  ref: string,
  saveKey: string,
  opts: Pick<ImageCacheOptions, 'store' | 'workDir' | 'toolPath' | 'signal'> & {
    maxBytes?: number;
    codec?: Codec;
  },
  log: Logger,
): Promise<SaveResult> {
  const max = opts.maxBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  const lap = lapTimer();
  await rm(opts.workDir, { recursive: true, force: true });
  await mkdir(opts.workDir, { recursive: true });
  try {
    const image = await docker.inspectImage(ref);
    if (!image) return { saved: false, reason: `${ref} is not present` };
    const config = cacheableConfig(image.Config ?? {});
    const codec = opts.codec ?? defaultCodec(opts.toolPath);
    const archive = await exportImageArchive(docker, ref, codec, join(opts.workDir, codec.file), opts.signal);
    const archiveSeconds = lap();
    if (archive.bytes > max) {
      return { saved: false, reason: `the archive is ${mb(archive.bytes)}, over the ${mb(max)} limit` };
    }
    await writeManifest(opts.workDir, { format: ENTRY_FORMAT, ref, config });
    await opts.store.save(opts.workDir, saveKey);
    const upload = lap();
    log.info(
      `saved ${ref} to the ${opts.store.description} as ${saveKey} (${mb(archive.bytes)} ${codec.name})`,
    );
    return { saved: true, bytes: archive.bytes, seconds: { archive: archiveSeconds, upload } };
  } catch (err) {
    return { saved: false, reason: errorMessage(err) };
  } finally {
    await rm(opts.workDir, { recursive: true, force: true });
  }
}
