import { createHash } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BakeError, IntegrityError } from '../errors.js';
import type { Logger } from '../logger.js';

/** The Kubernetes binaries the node runs, as published per release. */
export const RELEASE_BINARIES = [
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubelet',
  'kube-proxy',
  'kubectl',
] as const;

export const DEFAULT_RELEASE_URL = 'https://dl.k8s.io/release';

export interface ReleaseOptions {
  version: string;
  arch: string;
  baseUrl: string;
  outDir: string;
  /** Only these of RELEASE_BINARIES (default: all of them). */
  binaries?: readonly (typeof RELEASE_BINARIES)[number][];
  signal?: AbortSignal;
}

/**
 * Download each official binary and its published .sha512, and keep it only
 * when the digests match. Fails closed: an HTTP error, an HTML page or a
 * mismatch stops the bake with the file's name and the expected digest.
 */
export async function downloadRelease(opts: ReleaseOptions, log: Logger): Promise<void> {
  await mkdir(opts.outDir, { recursive: true });
  const names = opts.binaries ?? RELEASE_BINARIES;
  for (const name of names) {
    const url = `${opts.baseUrl}/v${opts.version}/bin/linux/${opts.arch}/${name}`;
    log.progress(`downloading ${name} v${opts.version}`);
    const expected = parseDigest(await fetchText(`${url}.sha512`, opts.signal), `${name}.sha512`);
    const body = await fetchBinary(url, opts.signal).catch((err: unknown) => {
      throw withExpected(err, `${name} v${opts.version}`, expected);
    });
    const actual = createHash('sha512').update(body).digest('hex');
    if (actual !== expected) {
      throw new IntegrityError(
        `${name} v${opts.version}: sha512 mismatch; expected ${expected}, got ${actual} (from ${url}); nothing was kept`,
      );
    }
    const tmp = join(opts.outDir, `.${name}.tmp`);
    await writeFile(tmp, body);
    await chmod(tmp, 0o755);
    await rename(tmp, join(opts.outDir, name));
  }
  log.info(`downloaded and verified ${names.length} Kubernetes v${opts.version} binaries`);
}

/** The same kind of error, its message naming the file and the digest it should have had. */
function withExpected(err: unknown, file: string, expected: string): unknown {
  const message = (e: Error): string =>
    `${file}: ${e.message}; expected sha512 ${expected}; nothing was kept`;
  if (err instanceof IntegrityError) return new IntegrityError(message(err), { cause: err });
  if (err instanceof BakeError) return new BakeError(message(err), { cause: err });
  return err;
}

/** A .sha512 file holds the hex digest, optionally followed by a file name. */
export function parseDigest(text: string, what: string): string {
  const digest = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!/^[0-9a-f]{128}$/.test(digest)) throw new IntegrityError(`${what}: not a sha512 digest`);
  return digest;
}

async function fetchOk(url: string, signal: AbortSignal | undefined): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal: signal ?? null, redirect: 'follow' });
  } catch (err) {
    throw new BakeError(`download ${url}: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (!res.ok) throw new BakeError(`download ${url}: HTTP ${res.status}`);
  if (/text\/html/i.test(res.headers.get('content-type') ?? '')) {
    throw new IntegrityError(`download ${url}: got an HTML page, not the file`);
  }
  return res;
}

async function fetchText(url: string, signal: AbortSignal | undefined): Promise<string> {
  return (await fetchOk(url, signal)).text();
}

async function fetchBinary(url: string, signal: AbortSignal | undefined): Promise<Buffer> {
  const body = Buffer.from(await (await fetchOk(url, signal)).arrayBuffer());
  const head = body.subarray(0, 64).toString('utf8').trimStart().toLowerCase();
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) {
    throw new IntegrityError(`download ${url}: got an HTML page, not the file`);
  }
  return body;
}

export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}
