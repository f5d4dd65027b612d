import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DockerClient } from '../docker/client.js';
import { DockerApiError, errorMessage, IntegrityError, KindActionError } from '../errors.js';
import { resourceLabels } from '../labels.js';
import { type Codec, readDecompressed } from './codec.js';
import { type ImageConfig, importChanges } from './image-config.js';
import { writeChecksum } from './integrity.js';

export interface ArchiveResult {
  bytes: number;
  sha256: string;
}

/**
 * `docker export` of a container created (never started) from `ref`,
 * compressed by `codec` into `file`, with the sha256 of the written bytes
 * beside it: the image's whole filesystem as one tar. The container is
 * labelled like a cluster of its own (`export-<session>`), so `down --all`
 * finds it if this process dies before removing it.
 */
export async function exportImageArchive(
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
  const session = randomBytes(6).toString('hex');
  let id: string | undefined;
  try {
    id = await docker.createContainer({
      Image: ref,
      name: `kind-action-export-${session}`,
      Labels: resourceLabels(`export-${session}`, session),
    });
    const stream = await docker.images().export(id);
    await Promise.all([codec.compress(stream, tap, signal), pipeline(tap, createWriteStream(tmp))]).catch(
      (err: unknown) => {
        throw err instanceof KindActionError
          ? err
          : new DockerApiError(`export ${ref}: ${errorMessage(err)}`, { cause: err });
      },
    );
    const sha256 = hash.digest('hex');
    await rename(tmp, file);
    await writeChecksum(file, sha256);
    return { bytes, sha256 };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  } finally {
    if (id) await docker.removeContainer(id);
  }
}

/**
 * `<codec> -d < file | docker import` as `ref`, with `config` given back as
 * changes. One pass over the bytes: `docker load` of a `docker save`
 * archive first unpacks the whole archive to a temporary directory and then
 * every layer again. Verify the checksum first (verifyChecksum): this
 * function trusts the bytes. On failure the caller removes `ref`.
 */
export async function importImageArchive(
  docker: DockerClient,
  codec: Codec,
  file: string,
  ref: string,
  config: ImageConfig,
): Promise<void> {
  const events = await readDecompressed(codec, file, (stream) =>
    docker.images().import(stream, { repo: ref, changes: importChanges(config) }),
  );
  const failed = events.find((e) => e.error);
  if (failed) throw new IntegrityError(`docker import: ${failed.errorDetail?.message ?? failed.error}`);
}
