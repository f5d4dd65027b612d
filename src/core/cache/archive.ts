import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { DockerClient } from '../docker/client.js';
import { IntegrityError } from '../errors.js';
import { writeChecksum } from './integrity.js';

/**
 * gzip level 1: measured on a 1.3 GB node image (see bench/action-cache.ts)
 * it restores and loads faster than brotli and than an uncompressed tar
 * read from a slower cache, at about a third of the size.
 */
const GZIP_LEVEL = 1;

export interface ArchiveResult {
  bytes: number;
  sha256: string;
}

/** `docker save ref | gzip -1 > file`, with the sha256 of the written bytes beside it. */
export async function saveImageArchive(
  docker: DockerClient,
  ref: string,
  file: string,
  signal?: AbortSignal,
): Promise<ArchiveResult> {
  const tmp = `${file}.partial`;
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done): void {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  try {
    const stream = await docker.call(`save ${ref}`, () => docker.api.getImage(ref).get());
    await docker.call(`save ${ref}`, () =>
      pipeline(
        stream,
        createGzip({ level: GZIP_LEVEL }),
        tap,
        createWriteStream(tmp),
        signal ? { signal } : {},
      ),
    );
    const sha256 = hash.digest('hex');
    await rename(tmp, file);
    await writeChecksum(file, sha256);
    return { bytes, sha256 };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

interface LoadEvent {
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * `gunzip < file | docker load`. Verify the checksum first (verifyChecksum):
 * this function trusts the bytes. Returns the references docker reported.
 */
export async function loadImageArchive(docker: DockerClient, file: string): Promise<string[]> {
  const body = new PassThrough();
  const feeding = pipeline(createReadStream(file), createGunzip(), body);
  const response = await docker.call('load', () => docker.api.loadImage(body));
  const events = await docker.call(
    'load',
    () =>
      new Promise<LoadEvent[]>((resolve, reject) => {
        docker.api.modem.followProgress(response, (err: Error | null, out: LoadEvent[]) =>
          err ? reject(err) : resolve(out ?? []),
        );
      }),
  );
  await feeding.catch((err: unknown) => {
    throw new IntegrityError(`reading ${file}: ${err instanceof Error ? err.message : String(err)}`);
  });
  const failed = events.find((e) => e.error);
  if (failed) throw new IntegrityError(`docker load: ${failed.errorDetail?.message ?? failed.error}`);
  return events
    .map((e) => /^Loaded image(?: ID)?: (\S+)/.exec(e.stream?.trim() ?? '')?.[1])
    .filter((ref): ref is string => ref !== undefined);
}
