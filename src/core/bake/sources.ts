import { access, cp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BakeError } from '../errors.js';
import type { Logger } from '../logger.js';
import { progressLines, runProcess } from '../process.js';
import { downloadRelease } from './release.js';

export type KubeSource = 'source' | 'release';

export interface KubeBinariesOptions {
  version: string;
  source: KubeSource;
  /** The repository's (or package's) image/ directory. */
  imageDir: string;
  cacheDir: string;
  releaseBaseUrl: string;
  arch: string;
  signal: AbortSignal;
}

/**
 * A directory holding every binary the node image needs. `source` builds
 * them all from Go modules (cached by version); `release` downloads the
 * Kubernetes binaries, verified, and takes etcd, CoreDNS and the CNI plugins
 * from the Go-module build, which has no official release channel here.
 */
export async function kubeBinaries(opts: KubeBinariesOptions, log: Logger): Promise<string> {
  const script = join(opts.imageDir, 'kube', 'build-source.sh');
  const env = { ...process.env, KIND_ACTION_CACHE: opts.cacheDir };
  const args = opts.source === 'source' ? [opts.version] : [opts.version, '--components-only'];
  log.info(
    `preparing Kubernetes v${opts.version} binaries (${opts.source}); a cold build takes a while, then it is cached`,
  );
  const out = await runProcess('bash', [script, ...args], {
    env,
    signal: opts.signal,
    onLine: progressLines(log, 'binaries: '),
  }).catch((err: unknown) => {
    throw new BakeError(
      `building the node's binaries failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  });
  const binDir = out.trim().split('\n').pop() ?? '';
  if (opts.source === 'source') return binDir;
  return overlayRelease(binDir, opts, log);
}

async function overlayRelease(
  componentsDir: string,
  opts: KubeBinariesOptions,
  log: Logger,
): Promise<string> {
  const dir = join(opts.cacheDir, 'kube', `${opts.version}-release`, 'bin');
  const stamp = join(dir, '.complete');
  if (await exists(stamp)) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    await mkdir(tmp, { recursive: true });
    await cp(componentsDir, tmp, { recursive: true });
    await downloadRelease({ ...opts, outDir: tmp, baseUrl: opts.releaseBaseUrl }, log);
    await writeFile(join(tmp, '.complete'), '');
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return dir;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
