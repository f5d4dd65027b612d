import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DockerClient } from '../docker/client.js';
import { errorMessage, IntegrityError } from '../errors.js';
import type { Codec } from './codec.js';
import { writeChecksum } from './integrity.js';

export interface ArchiveResult {
  bytes: number;
  sha256: string;
}

/** `docker save ref | <codec> > file`, with the sha256 of the written bytes beside it. */
export async function saveImageArchive(
  docker: DockerClient,
  ref: string,
  codec: Codec,
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
      Promise.all([codec.compress(stream, tap, signal), pipeline(tap, createWriteStream(tmp))]),
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
 * `<codec> -d < file | docker load`. Verify the checksum first
 * (verifyChecksum): this function trusts the bytes. Returns the references
 * docker reported.
 */
export async function loadImageArchive(docker: DockerClient, codec: Codec, file: string): Promise<string[]> {
  const { stream, done } = codec.decompress(file);
  const response = await docker.call('load', () => docker.api.loadImage(stream));
  const events = await docker.call(
    'load',
    () =>
      new Promise<LoadEvent[]>((resolve, reject) => {
        docker.api.modem.followProgress(response, (err: Error | null, out: LoadEvent[]) =>
          err ? reject(err) : resolve(out ?? []),
        );
      }),
  );
  await done.catch((err: unknown) => {
    throw new IntegrityError(`reading ${file}: ${errorMessage(err)}`);
  });
  const failed = events.find((e) => e.error);
  if (failed) throw new IntegrityError(`docker load: ${failed.errorDetail?.message ?? failed.error}`);
  return events
    .map((e) => /^Loaded image(?: ID)?: (\S+)/.exec(e.stream?.trim() ?? '')?.[1])
    .filter((ref): ref is string => ref !== undefined);
}
