import { cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BakeError, UsageError } from '../errors.js';
import type { Logger } from '../logger.js';
import { truncate } from '../names.js';
import { progressLines, runProcess } from '../process.js';
import { downloadRelease } from './release.js';

export type KubeSource = 'source' | 'release';

export function parseKubeSource(value: string, field = 'kube-source'): KubeSource {
  if (value === 'source' || value === 'release') return value;
  throw new UsageError(`"${truncate(value)}" is not one of release, source`, { field });
}

export interface KubeBinariesOptions {
  version: string;
  source: KubeSource;
  /** The repository's (or package's) image/ directory. */
  imageDir: string;
  cacheDir: string;
  releaseBaseUrl: string;
  arch: string;
  /** The environment the build script runs with (PATH, Go and proxy settings). */
  toolEnv: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
}

/**
 * A directory holding every binary the node image needs. `source` builds
 * them all from Go modules (cached by version); `release` downloads the
 * Kubernetes binaries, verified, and takes etcd, CoreDNS and the CNI plugins
 * from the Go-module build, which has no official release channel here.
 */
export async function kubeBinaries(opts: KubeBinariesOptions, log: Logger): Promise<string> {
  log.info(
    `preparing Kubernetes v${opts.version} binaries (${opts.source}); a cold build takes a while, then it is cached`,
  );
  const binDir = await buildSource(
    opts,
    opts.source === 'source' ? [] : ['--components-only'],
    "the node's binaries",
    log,
  );
  if (opts.source === 'source') return binDir;
  return overlayRelease(binDir, opts, log);
}

/**
 * Upstream's kubectl alone of `opts.version` for `opts.arch`, built from the
 * Go modules with the node build's module and flags (so after a node build of
 * that version it mostly links) and cached by version: the job image's.
 */
export async function kubectlFromSource(
  opts: Omit<KubeBinariesOptions, 'source'>,
  log: Logger,
): Promise<string> {
  log.info(`preparing kubectl v${opts.version} (${opts.arch}) from source; cached once built`);
  return join(await buildSource(opts, ['--kubectl-only'], `kubectl v${opts.version}`, log), 'kubectl');
}

/** Run image/kube/build-source.sh for the version and architecture, plus `extra`; its bin directory. */
async function buildSource(
  opts: Omit<KubeBinariesOptions, 'source'>,
  extra: string[],
  what: string,
  log: Logger,
): Promise<string> {
  const script = join(opts.imageDir, 'kube', 'build-source.sh');
  const env = { ...opts.toolEnv, KIND_ACTION_CACHE: opts.cacheDir };
  const out = await runProcess('bash', [script, opts.version, '--arch', opts.arch, ...extra], {
    env,
    signal: opts.signal,
    onLine: progressLines(log, 'binaries: '),
  }).catch((err: unknown) => {
    throw new BakeError(`building ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  });
  return out.trim().split('\n').pop() ?? '';
}

async function overlayRelease(
  componentsDir: string,
  opts: KubeBinariesOptions,
  log: Logger,
): Promise<string> {
  const archDir = join(opts.cacheDir, 'kube', `linux-${opts.arch}`);
  const root = join(archDir, `${opts.version}-release`);
  const dir = join(root, 'bin');
  // Reused only while it was made from the components built now (their
  // versions.txt names every version and the recipe).
  const stamp = await readFile(join(componentsDir, '..', 'versions.txt'), 'utf8').catch(() => '');
  const made = await readFile(join(dir, '.complete'), 'utf8').catch(() => undefined);
  if (made !== undefined && made === stamp) return dir;
  // Staged beside the final directory and renamed into place: a failed or
  // interrupted download leaves nothing that looks like a cache entry.
  const staging = join(archDir, `.${opts.version}-release.${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  try {
    await mkdir(staging, { recursive: true });
    await cp(componentsDir, join(staging, 'bin'), { recursive: true });
    await downloadRelease({ ...opts, outDir: join(staging, 'bin'), baseUrl: opts.releaseBaseUrl }, log);
    await writeFile(join(staging, 'bin', '.complete'), stamp);
    await rm(root, { recursive: true, force: true });
    await rename(staging, root);
    return dir;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}
