import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerClient } from '../docker/client.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { round } from '../ready/wait.js';
import { loadImageArchive, saveImageArchive } from './archive.js';
import { CODECS, type Codec, defaultCodec, usable } from './codec.js';
import { verifyChecksum } from './integrity.js';
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
  signal?: AbortSignal;
}

export type RestoreResult =
  | { hit: true; key: string; bytes: number; seconds: { restore: number; verify: number; load: number } }
  | { hit: false; reason: string };

/**
 * Restore the image `ref` from the cache: fetch the entry, verify its sha256,
 * `docker load` it and check the reference exists. A missing entry is a miss;
 * a corrupt or partial one is a warning, removed from the store, and a miss —
 * never a failure, so the caller rebuilds.
 */
export async function restoreImage(
  docker: DockerClient,
  ref: string,
  opts: ImageCacheOptions,
  log: Logger,
): Promise<RestoreResult> {
  await rm(opts.workDir, { recursive: true, force: true });
  const clock = stopwatch();
  try {
    let found: string | undefined;
    try {
      found = await opts.store.restore(opts.workDir, opts.key, opts.prefixes);
    } catch (err) {
      log.warn(`reading the ${opts.store.description} failed (${errorMessage(err)}); continuing without it`);
      return { hit: false, reason: 'the cache could not be read' };
    }
    if (!found) return { hit: false, reason: `no entry for ${opts.key}` };
    const restore = clock.lap();
    const codec = await archiveCodec(opts.workDir);
    if (!codec) return await discard(opts.store, found, 'it holds no image archive', log);
    if (!usable(codec)) {
      log.warn(
        `cache entry ${found} is compressed with ${codec.name}, which is not installed here; building the image instead`,
      );
      return { hit: false, reason: `${codec.name} is not installed` };
    }
    const file = join(opts.workDir, codec.file);
    const verdict = await verifyChecksum(file);
    const verify = clock.lap();
    if (!verdict.ok) return await discard(opts.store, found, verdict.reason, log);
    try {
      await loadImageArchive(docker, codec, file);
    } catch (err) {
      return await discard(opts.store, found, `docker load failed: ${errorMessage(err)}`, log);
    }
    if (!(await docker.imageExists(ref))) {
      return await discard(opts.store, found, `the archive does not hold ${ref}`, log);
    }
    const load = clock.lap();
    log.info(
      `restored ${ref} from the ${opts.store.description} (${found}, ${mb(verdict.bytes)} ${codec.name}): ` +
        `fetch ${restore}s, verify ${verify}s, load ${load}s`,
    );
    return { hit: true, key: found, bytes: verdict.bytes, seconds: { restore, verify, load } };
  } finally {
    await rm(opts.workDir, { recursive: true, force: true });
  }
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
 * Save the image `ref` under `saveKey`: `docker save`, compressed (zstd
 * where installed, else gzip), sha256 beside it, then hand the directory to
 * the store. Too large an archive is skipped. Every failure is returned as a
 * reason, for the caller to warn about.
 */
export async function saveImage(
  docker: DockerClient,
  ref: string,
  saveKey: string,
  opts: Pick<ImageCacheOptions, 'store' | 'workDir' | 'signal'> & { maxBytes?: number; codec?: Codec },
  log: Logger,
): Promise<SaveResult> {
  const max = opts.maxBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  const clock = stopwatch();
  await rm(opts.workDir, { recursive: true, force: true });
  await mkdir(opts.workDir, { recursive: true });
  try {
    const codec = opts.codec ?? defaultCodec();
    const archive = await saveImageArchive(docker, ref, codec, join(opts.workDir, codec.file), opts.signal);
    const archiveSeconds = clock.lap();
    if (archive.bytes > max) {
      return { saved: false, reason: `the archive is ${mb(archive.bytes)}, over the ${mb(max)} limit` };
    }
    await opts.store.save(opts.workDir, saveKey);
    const upload = clock.lap();
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

function stopwatch(): { lap(): number } {
  let last = performance.now();
  return {
    lap: () => {
      const now = performance.now();
      const s = round((now - last) / 1000);
      last = now;
      return s;
    },
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
}
