import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { DockerClient } from '../docker/client.js';
import { errorMessage, IntegrityError } from '../errors.js';
import { type Codec, readDecompressed } from './codec.js';
import { writeChecksum } from './integrity.js';

/** What a `docker save` archive's manifest.json and image configuration say. */
export interface SavedImage {
  /** The configuration's path in the archive. */
  config: string;
  /** Each layer's path in the archive, bottom first. */
  layers: string[];
  /** Each layer's diff id (sha256 of its uncompressed tar), bottom first. */
  diffIds: string[];
}

/** Entries at most this large are kept in memory while the archive is read (manifests, configurations). */
const SMALL_ENTRY = 4 * 1024 * 1024;

/** The archive's file name inside an entry, for `codec`: layers.tar.zst or layers.tar.gz. */
export function layersFile(codec: Codec): string {
  return codec.file.replace(/^rootfs/, 'layers');
}

/** Read manifest.json and the configuration it names from a `docker save` archive on disk. */
export async function readSavedImage(file: string): Promise<SavedImage> {
  const small = new Map<string, Buffer>();
  const extract = tar.extract();
  const reading = pipeline(createReadStream(file), extract);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    const keep = (entry.header.size ?? 0) <= SMALL_ENTRY;
    for await (const chunk of entry) if (keep) chunks.push(chunk as Buffer);
    if (keep) small.set(entry.header.name, Buffer.concat(chunks));
  }
  await reading;
  const manifest = parse(small.get('manifest.json'), 'manifest.json') as {
    Config?: string;
    Layers?: string[];
  }[];
  const first = Array.isArray(manifest) && manifest.length === 1 ? manifest[0] : undefined;
  if (!first?.Config || !Array.isArray(first.Layers)) {
    throw new IntegrityError('the saved archive does not describe exactly one image');
  }
  const config = parse(small.get(first.Config), first.Config) as { rootfs?: { diff_ids?: string[] } };
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== first.Layers.length) {
    throw new IntegrityError(
      `the saved image names ${first.Layers.length} layers and ${diffIds.length} diff ids`,
    );
  }
  return { config: first.Config, layers: first.Layers, diffIds };
}

function parse(data: Buffer | undefined, name: string): unknown {
  if (!data) throw new IntegrityError(`the saved archive has no ${name}`);
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new IntegrityError(`${name} in the saved archive is not JSON: ${errorMessage(err)}`);
  }
}

export interface TopLayersResult {
  bytes: number;
  sha256: string;
  /** The archive's entries (file names), in order. */
  members: string[];
}

/**
 * Copy the `docker save` archive `saved` without the files of its lowest
 * `baseCount` layers (the base image's), compressed by `codec` into `file`,
 * with the sha256 of the written bytes beside it. What stays is the image's
 * configuration, manifest.json and the layers above the base: `docker load`
 * takes the layers it lacks from the archive and finds the others in the
 * daemon's layer store.
 */
export async function writeTopLayers(
  saved: string,
  image: SavedImage,
  baseCount: number,
  codec: Codec,
  file: string,
  signal?: AbortSignal,
): Promise<TopLayersResult> {
  const drop = new Set(image.layers.slice(0, baseCount));
  const members: string[] = [];
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done): void {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const tmp = `${file}.partial`;
  const extract = tar.extract();
  const pack = tar.pack();
  const copying = (async () => {
    for await (const entry of extract) {
      if (drop.has(entry.header.name)) {
        entry.resume();
        continue;
      }
      members.push(entry.header.name);
      await pipeline(entry, pack.entry(entry.header));
    }
    pack.finalize();
  })();
  try {
    await Promise.all([
      pipeline(createReadStream(saved), extract),
      copying,
      // tar-stream's streams are streamx streams, which Node's pipeline takes as readables.
      codec.compress(pack as unknown as NodeJS.ReadableStream, tap, signal),
      pipeline(tap, createWriteStream(tmp)),
    ]);
    const sha256 = hash.digest('hex');
    await rename(tmp, file);
    await writeChecksum(file, sha256);
    return { bytes, sha256, members };
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** `docker save ref` into the file `out`. */
export async function saveToFile(docker: DockerClient, ref: string, out: string): Promise<void> {
  const stream = await docker.images().save(ref);
  await pipeline(stream, createWriteStream(out));
}

/**
 * `<codec> -d < file | docker load`. Verify the checksum first: this function
 * trusts the bytes. A base layer the daemon lacks fails the load.
 */
export async function loadTopLayers(docker: DockerClient, codec: Codec, file: string): Promise<string[]> {
  return readDecompressed(codec, file, (stream) => docker.images().load(stream));
}
