import { chmod, copyFile, link, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTEXT_HASH_LABEL } from '../bake/bake.js';
import { contextHash } from '../bake/context-hash.js';
import { buildImage, expectArchitecture } from '../bake/docker-steps.js';
import { downloadRelease } from '../bake/release.js';
import { type KubeSource, kubectlFromSource } from '../bake/sources.js';
import type { DockerClient } from '../docker/client.js';
import { throwIfAborted } from '../errors.js';
import { exists } from '../files.js';
import { DEFAULT_KUBERNETES, KUBERNETES_RELEASES, KUBERNETES_VERSIONS } from '../image/versions.js';
import { LABEL } from '../labels.js';
import type { Logger } from '../logger.js';
import { nodeArch } from '../package.js';
import { round } from '../ready/wait.js';
import { VERSION } from '../version.js';
import { KUBECTL_LINK, kubectlEntry } from './names.js';

export interface JobBuildOptions {
  /** The finished image's tag, e.g. kind-action/job:v0.1.0. */
  tag: string;
  arch: string;
  /** Where each kubectl comes from: the verified release download, or the Go-module build. */
  kubeSource: KubeSource;
  /** job/ (the Dockerfile), dist/cli/ (the CLI bundle) and image/ (the binaries' build script). */
  jobDir: string;
  cliDir: string;
  imageDir: string;
  cacheDir: string;
  releaseBaseUrl: string;
  toolEnv: Readonly<Record<string, string | undefined>>;
  force?: boolean;
  signal: AbortSignal;
}

export interface JobBuildResult {
  tag: string;
  arch: string;
  /** The Kubernetes versions whose kubectl the image holds, newest first. */
  kubectl: string[];
  contextHash: string;
  /** False when an image of the same inputs already had the tag. */
  built: boolean;
  seconds: number;
}

/** The label that lists the job image's kubectl versions. */
export const KUBECTL_VERSIONS_LABEL = 'io.kind-action.kubectl-versions';

/**
 * Build the job image for `opts.arch`: Debian's Node, the CLI bundle, and a
 * kubectl of every version of the table, each for that architecture (upstream's
 * kubectl alone, built from the Go modules or downloaded and verified). Skipped
 * when the tag already holds an image of the same inputs.
 */
export async function buildJobImage(
  docker: DockerClient,
  opts: JobBuildOptions,
  log: Logger,
): Promise<JobBuildResult> {
  const start = performance.now();
  const versions = KUBERNETES_RELEASES.map((r) => r.version);
  const ctx = await mkdtemp(join(tmpdir(), 'kind-action-job-'));
  try {
    for (const version of versions) {
      const kubectl = await kubectlBinary(version, opts, log);
      throwIfAborted(opts.signal);
      await linkOrCopy(kubectl, join(ctx, 'kubectl', kubectlEntry(version)));
    }
    await assembleJobContext(ctx, opts);
    const hash = await contextHash(ctx, [opts.arch]);
    const result = { tag: opts.tag, arch: opts.arch, kubectl: versions, contextHash: hash };
    const current = (await docker.inspectImage(opts.tag))?.Config?.Labels?.[CONTEXT_HASH_LABEL];
    if (!opts.force && current === hash) {
      log.info(`${opts.tag} is up to date (same inputs); not built again`);
      return { ...result, built: false, seconds: round((performance.now() - start) / 1000) };
    }
    await buildImage(
      docker,
      ctx,
      await readdir(ctx),
      opts.tag,
      {
        [LABEL.version]: VERSION,
        [KUBECTL_VERSIONS_LABEL]: versions.join(','),
        [CONTEXT_HASH_LABEL]: hash,
      },
      log,
      opts.arch === nodeArch() ? undefined : `linux/${opts.arch}`,
    );
    await expectArchitecture(docker, opts.tag, opts.arch);
    return { ...result, built: true, seconds: round((performance.now() - start) / 1000) };
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}

/**
 * The job image's build context, beside the kubectls already in `ctx/kubectl`:
 * the Dockerfile, the CLI as a package (`cli/`, with its `bin/kind-action`
 * link) and the kubectl link, which starts at the default version's.
 */
export async function assembleJobContext(ctx: string, opts: Pick<JobBuildOptions, 'jobDir' | 'cliDir'>) {
  await copyFile(join(opts.jobDir, 'Dockerfile'), join(ctx, 'Dockerfile'));
  await mkdir(join(ctx, 'cli', 'dist', 'cli'), { recursive: true });
  await mkdir(join(ctx, 'cli', 'bin'), { recursive: true });
  // index.js and the chunks it loads beside it.
  for (const file of await readdir(opts.cliDir)) {
    if (file.endsWith('.js')) await copyFile(join(opts.cliDir, file), join(ctx, 'cli', 'dist', 'cli', file));
  }
  const bundle = join(ctx, 'cli', 'dist', 'cli', 'index.js');
  await chmod(bundle, 0o755);
  // The bundle is an ES module: its package says so.
  const pkg = {
    name: 'kind-action',
    version: VERSION,
    type: 'module',
    bin: { 'kind-action': 'dist/cli/index.js' },
  };
  await writeFile(join(ctx, 'cli', 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  await symlink('../dist/cli/index.js', join(ctx, 'cli', 'bin', 'kind-action'));
  await mkdir(join(ctx, 'kubectl', 'bin'), { recursive: true });
  await symlink(
    `../${kubectlEntry(KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '')}`,
    join(ctx, 'kubectl', KUBECTL_LINK),
  );
}

/** A kubectl of `version` for `opts.arch`: from the Go-module build (cached), or downloaded and verified (cached). */
async function kubectlBinary(version: string, opts: JobBuildOptions, log: Logger): Promise<string> {
  // kubectl alone, not the node's multi-call binary (the API server and the rest as well, twice the size).
  if (opts.kubeSource === 'source') return kubectlFromSource({ ...opts, version }, log);
  const dir = join(opts.cacheDir, 'kubectl', 'release', `v${version}-${opts.arch}`);
  const file = join(dir, 'kubectl');
  if (!(await exists(file))) {
    await downloadRelease(
      {
        version,
        arch: opts.arch,
        baseUrl: opts.releaseBaseUrl,
        outDir: dir,
        binaries: ['kubectl'],
        signal: opts.signal,
      },
      log,
    );
  }
  return file;
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  await mkdir(join(to, '..'), { recursive: true });
  await link(from, to).catch(() => copyFile(from, to));
  await chmod(to, 0o755);
}
