import { randomBytes } from 'node:crypto';
import { chmod, copyFile, link, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256File } from '../cache/integrity.js';
import type { NodeSpec } from '../cluster/create-options.js';
import type { PrivilegeChoice, PrivilegeMemo } from '../cluster/privilege.js';
import { startNode } from '../cluster/privilege.js';
import type { DockerClient } from '../docker/client.js';
import { BakeError, errorMessage, throwIfAborted } from '../errors.js';
import { LABEL } from '../labels.js';
import type { Logger } from '../logger.js';
import { nodeArch } from '../package.js';
import { progressLines, runProcess } from '../process.js';
import { round } from '../ready/wait.js';
import { contextHash } from './context-hash.js';
import { buildImage, commitNode, expectArchitecture, waitForExit } from './docker-steps.js';
import { type KubeSource, kubeBinaries } from './sources.js';

export interface BakeOptions {
  k8sVersion: string;
  /** The finished image's tag, e.g. kind-action/node:v1.35.4. */
  tag: string;
  kubeSource: KubeSource;
  preload: string[];
  beforeCluster?: string;
  afterCluster?: string;
  /** A KEY=VALUE file with REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD, mounted only during the bake. */
  registrySecretFile?: string;
  imageDir: string;
  cacheDir: string;
  releaseBaseUrl: string;
  arch: string;
  /** The environment the build scripts run with (PATH, Go and proxy settings). */
  toolEnv: Readonly<Record<string, string | undefined>>;
  privilege: PrivilegeChoice;
  memo: PrivilegeMemo;
  /** Bake again even when the tag already holds a bake of the same inputs. */
  force?: boolean;
  signal: AbortSignal;
}

export interface BakeResult {
  tag: string;
  /** Digest of the bake's inputs; also the image label io.kind-action.context-hash. */
  contextHash: string;
  /** False when an up-to-date bake was already there. */
  baked: boolean;
  seconds: number;
  phases: Record<string, number>;
}

export const CONTEXT_HASH_LABEL = 'io.kind-action.context-hash';

export const SECRET_PATH = '/run/secrets/registry';

/**
 * The CoreDNS binary is an input of the bake only: the agent builds the
 * CoreDNS image from it into the node's image store, which is all the
 * cluster runs, then deletes it. Copied into the bootstrap container (as
 * /kind/bake/coredns) rather than into the base image, so the node image
 * does not carry it twice (76 MB).
 */
export async function stageBakeInputs(binDir: string): Promise<NonNullable<NodeSpec['copyIn']>> {
  const dir = await mkdtemp(join(tmpdir(), 'kind-action-bake-'));
  await mkdir(join(dir, 'bake'));
  const binary = join(dir, 'bake', 'coredns');
  await link(join(binDir, 'coredns'), binary).catch(() => copyFile(join(binDir, 'coredns'), binary));
  await chmod(binary, 0o755);
  return { dir, into: '/kind' };
}

/** The tag of the unbaked base image a bake of `k8sVersion` builds first (another architecture's apart). */
export function baseImageTag(k8sVersion: string, arch = nodeArch()): string {
  return `kind-action/node-base:v${k8sVersion}${arch === nodeArch() ? '' : `-${arch}`}`;
}

/**
 * Bake the node image: build the base image, run `kind-agent bootstrap` in a
 * privileged (or fallback) container so every slow step happens now, then
 * commit it. The tag appears only when everything succeeded.
 */
export async function bake(docker: DockerClient, opts: BakeOptions, log: Logger): Promise<BakeResult> {
  const start = performance.now();
  const phases: Record<string, number> = {};
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const value = await fn();
    phases[name] = round((performance.now() - t) / 1000);
    throwIfAborted(opts.signal);
    return value;
  };

  const binDir = await step('binaries', () =>
    kubeBinaries({ ...opts, version: opts.k8sVersion, source: opts.kubeSource }, log),
  );
  const baseTag = baseImageTag(opts.k8sVersion, opts.arch);
  const ctx = await mkdtemp(join(tmpdir(), 'kind-action-ctx-'));
  let hash: string;
  let upToDate: boolean;
  try {
    // Hash the inputs before building anything: an up-to-date bake skips the
    // base build (which sends the whole context to the daemon) as well.
    hash = await step('context', () => assembleContext(opts, binDir, ctx, log));
    upToDate = !opts.force && (await bakedHash(docker, opts.tag)) === hash;
    if (!upToDate) {
      await step('base-image', async () =>
        buildImage(
          docker,
          ctx,
          await readdir(ctx),
          baseTag,
          { [LABEL.managed]: 'true' },
          log,
          // another architecture's base image: asked for by platform (it runs under emulation)
          opts.arch === nodeArch() ? undefined : `linux/${opts.arch}`,
        ).then(() => expectArchitecture(docker, baseTag, opts.arch)),
      );
    }
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
  if (upToDate) {
    log.info(`${opts.tag} is up to date (same inputs); not baked again`);
    return {
      tag: opts.tag,
      contextHash: hash,
      baked: false,
      seconds: round((performance.now() - start) / 1000),
      phases,
    };
  }
  const session = randomBytes(6).toString('hex');
  let containerId: string | undefined;
  const inputs = await stageBakeInputs(binDir);
  try {
    const info = await docker.info();
    const node = await startNode(
      docker,
      info.ID ?? 'unknown',
      {
        cluster: `bake-${session}`,
        session,
        image: baseTag,
        ports: [],
        env: opts.preload.length ? { PRELOAD: opts.preload.join(' ') } : {},
        cgroupVersion: info.CgroupVersion === '2' ? '2' : '1',
        cmd: ['bootstrap'],
        copyIn: inputs,
        ...(opts.registrySecretFile ? { mounts: { [opts.registrySecretFile]: SECRET_PATH } } : {}),
      },
      opts.privilege,
      opts.memo,
      log,
      (id) => {
        containerId = id;
      },
    );
    containerId = node.id;
    await step('bootstrap', () => runBootstrap(docker, node.id, opts.signal, log));
    await step('commit', () => commitNode(docker, node.id, opts.tag, { k8sVersion: opts.k8sVersion, hash }));
  } finally {
    if (containerId)
      await docker.removeContainer(containerId).catch((err: unknown) => log.warn(errorMessage(err)));
    await rm(inputs.dir, { recursive: true, force: true });
  }
  const seconds = round((performance.now() - start) / 1000);
  log.info(`baked ${opts.tag} in ${seconds.toFixed(0)}s`);
  return { tag: opts.tag, contextHash: hash, baked: true, seconds, phases };
}

async function bakedHash(docker: DockerClient, tag: string): Promise<string | undefined> {
  return (await docker.inspectImage(tag))?.Config?.Labels?.[CONTEXT_HASH_LABEL];
}

/** Fill `ctx` with the image's build context; return the digest of the bake's inputs. */
async function assembleContext(opts: BakeOptions, binDir: string, ctx: string, log: Logger): Promise<string> {
  const hooks: string[] = [];
  if (opts.beforeCluster) hooks.push('--before-cluster', opts.beforeCluster);
  if (opts.afterCluster) hooks.push('--after-cluster', opts.afterCluster);
  const args = [opts.k8sVersion, ctx, '--arch', opts.arch, ...hooks];
  await runProcess('bash', [join(opts.imageDir, 'context.sh'), ...args], {
    env: { ...opts.toolEnv, KUBE_BIN_DIR: binDir },
    signal: opts.signal,
    onLine: progressLines(log, 'context: '),
  }).catch((err: unknown) => {
    throw new BakeError(`assembling the image context failed: ${errorMessage(err)}`);
  });
  return contextHash(ctx, [
    `kube-source=${opts.kubeSource}`,
    `coredns=${await sha256File(join(binDir, 'coredns'))}`,
    ...opts.preload.map((p) => `preload=${p}`),
  ]);
}

async function runBootstrap(
  docker: DockerClient,
  id: string,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const logs = docker.followLogs(id, (line) => log.progress(`bootstrap: ${line}`));
  // The bake goes on without its progress lines, but says why they stopped.
  logs.done.catch((err: unknown) => log.warn(`bootstrap log lines are not shown: ${errorMessage(err)}`));
  try {
    const code = await waitForExit(docker, id, signal);
    if (code !== 0) {
      const tail = await docker.logs(id, 50).catch(() => '');
      throw new BakeError(`the bootstrap run exited with ${code}; last log lines:\n${tail}`);
    }
  } finally {
    logs.stop();
  }
}
