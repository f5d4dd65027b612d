import { spawn } from 'node:child_process';
import { accessSync, constants, createReadStream } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { abortError, errorMessage, IntegrityError, KindActionError } from '../errors.js';

/**
 * How a cache entry's archive (the image's filesystem, from `docker
 * export`) is compressed. The file name says which, so an entry is read the
 * way it was written.
 *
 * zstd level 3 (the `zstd` program, multi-threaded) is the default wherever
 * it is installed (GitHub's runner images have it): on the 866 MB node image
 * it writes 269 MB in 3 s and decompresses in 1 s, where gzip -1 (Node's
 * zlib) takes 16 s to write 316 MB and 4 s to read it back. gzip is the
 * fallback, so a machine without zstd still caches.
 */
export interface Codec {
  readonly name: 'zstd' | 'gzip';
  /** The archive's file name inside an entry. */
  readonly file: string;
  /** Compress `input` into `output`; resolves once the output is flushed. */
  compress(input: NodeJS.ReadableStream, output: Writable, signal?: AbortSignal): Promise<void>;
  /** The decompressed bytes of `file`, and a promise that rejects if reading them failed. */
  decompress(file: string): { stream: Readable; done: Promise<void> };
}

export class CodecError extends KindActionError {}

const ZSTD_LEVEL = 3;
const GZIP_LEVEL = 1;

export const gzipCodec: Codec = {
  name: 'gzip',
  file: 'rootfs.tar.gz',
  compress: (input, output, signal) =>
    pipeline(input, createGzip({ level: GZIP_LEVEL }), output, signal ? { signal } : {}),
  decompress(file) {
    const gunzip = createGunzip();
    return { stream: gunzip, done: pipeline(createReadStream(file), gunzip) };
  },
};

export const zstdCodec: Codec = {
  name: 'zstd',
  file: 'rootfs.tar.zst',
  async compress(input, output, signal) {
    const z = filter('zstd', [`-${ZSTD_LEVEL}`, '-T0', '-q', '-c'], 'pipe', signal);
    if (!z.stdin) throw new CodecError('zstd: no stdin');
    await Promise.all([pipeline(input, z.stdin), pipeline(z.stdout, output), z.done]);
  },
  decompress(file) {
    const z = filter('zstd', ['-d', '-q', '-c', '--', file], 'ignore');
    return { stream: z.stdout, done: z.done };
  },
};

/**
 * Hand `file`'s decompressed bytes to `consume` (a docker load or import) and
 * return what it returns. A consumer that fails closes the pipe, so the
 * decompressor exits; a decompressor that fails is an IntegrityError naming
 * the file, even when the consumer took the truncated bytes without complaint.
 */
export async function readDecompressed<T>(
  codec: Codec,
  file: string,
  consume: (stream: Readable) => Promise<T>,
): Promise<T> {
  const { stream, done } = codec.decompress(file);
  let result: T;
  try {
    result = await consume(stream);
  } catch (err) {
    stream.destroy();
    await done.catch(() => {});
    throw err;
  }
  await done.catch((err: unknown) => {
    throw new IntegrityError(`reading ${file}: ${errorMessage(err)}`);
  });
  return result;
}

/** Every codec, in the order restore looks for their files. */
export const CODECS: readonly Codec[] = [zstdCodec, gzipCodec];

/** The codec for a new archive: zstd when the program is on `path` (a PATH value), else gzip. */
export function defaultCodec(path: string): Codec {
  return usable(zstdCodec, path) ? zstdCodec : gzipCodec;
}

/** Whether `codec` can be used here (gzip always; zstd needs the program on `path`). */
export function usable(codec: Codec, path: string): boolean {
  return codec.name === 'gzip' || onPath('zstd', path);
}

function onPath(program: string, path: string): boolean {
  return path.split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

interface Filter {
  stdin: NodeJS.WritableStream | null;
  stdout: Readable;
  /** Resolves when the program exits 0; rejects naming its stderr otherwise. */
  done: Promise<void>;
}

/** Run a stream filter program (argument vector, no shell). An abort kills it. */
function filter(cmd: string, args: string[], stdin: 'pipe' | 'ignore', signal?: AbortSignal): Filter {
  const child = spawn(cmd, args, { stdio: [stdin, 'pipe', 'pipe'] });
  const { stdout, stderr: errors } = child;
  if (!stdout || !errors) throw new CodecError(`${cmd}: no output pipes`);
  let stderr = '';
  errors.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  const onAbort = (): void => {
    child.kill('SIGKILL');
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new CodecError(`${cmd}: ${err.message}`, { cause: err })));
    child.on('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(abortError(signal));
      else if (code === 0) resolve();
      else reject(new IntegrityError(`${cmd} exited with ${code ?? sig}: ${stderr.trim() || 'no message'}`));
    });
  });
  // The pipelines report their own errors; this keeps an early one unhandled-free.
  done.catch(() => {});
  return { stdin: child.stdin, stdout, done };
}
