import { tmpdir } from 'node:os';
import type { DockerClient, RegistryAuth } from '../docker/client.js';
import { LocalImageMissingError, PlatformMismatchError } from '../errors.js';
import { localNodeImage, publishedTag } from '../image/versions.js';
import { jobImageTag, localJobImage } from '../job/names.js';
import type { Logger } from '../logger.js';
import { runProcess } from '../process.js';
import { craneEnv, ensureCrane } from './crane.js';

export interface PublishRequest {
  k8sVersion: string;
  repository: string;
  /** One or more node architectures; several make a multi-arch index. */
  arches: readonly string[];
  auth: RegistryAuth | undefined;
  /** Where crane is built and kept (…/tools), and the environment it runs with. */
  cacheDir: string;
  toolEnv: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
}

export interface PublishResult {
  repository: string;
  tag: string;
  /** What REPOSITORY:TAG names now: the index (several architectures) or the one manifest. */
  digest: string;
  /** The image manifest pushed for each architecture. */
  manifests: Record<string, string>;
}

/** What to push: one local image per architecture, all under one tag. */
interface PushPlan extends Omit<PublishRequest, 'k8sVersion'> {
  tag: string;
  /** The local image of each architecture, in `arches` order. */
  sources: readonly string[];
}

/**
 * Push the baked node image of each architecture (`kind-action/node:vX`,
 * another architecture's `…-<arch>`). One architecture is pushed as
 * REPOSITORY:vX; several are pushed as REPOSITORY:vX-<arch> and joined
 * under REPOSITORY:vX by a multi-arch OCI index that crane writes.
 */
export async function publishNodeImages(
  docker: DockerClient,
  req: PublishRequest,
  log: Logger,
): Promise<PublishResult> {
  const bake = (arch: string): string => `kind-action build --k8s-version ${req.k8sVersion} --arch ${arch}`;
  const sources = await Promise.all(
    req.arches.map((arch) => localImage(docker, localNodeImage(req.k8sVersion, arch), arch, bake(arch))),
  );
  return pushImages(docker, { ...req, tag: publishedTag(req.k8sVersion), sources }, log);
}

/**
 * Push the job image of each architecture (`kind-action/job:v<CLI version>`,
 * another architecture's `…-<arch>`) the same way: REPOSITORY:v<CLI version>,
 * a multi-arch index for several architectures.
 */
export async function publishJobImages(
  docker: DockerClient,
  req: Omit<PublishRequest, 'k8sVersion'>,
  log: Logger,
): Promise<PublishResult> {
  const build = (arch: string): string => `kind-action build --job --arch ${arch}`;
  const sources = await Promise.all(
    req.arches.map((arch) => localImage(docker, localJobImage(arch), arch, build(arch))),
  );
  return pushImages(docker, { ...req, tag: jobImageTag(), sources }, log);
}

async function pushImages(docker: DockerClient, plan: PushPlan, log: Logger): Promise<PublishResult> {
  const { tag } = plan;
  const registry = docker.registry();
  const single = plan.arches.length === 1;
  const manifests: Record<string, string> = {};
  for (const [i, arch] of plan.arches.entries()) {
    const pushTag = single ? tag : `${tag}-${arch}`;
    const existed = await docker.imageExists(`${plan.repository}:${pushTag}`);
    await registry.tag(plan.sources[i] ?? '', plan.repository, pushTag);
    try {
      const pushed = await registry.push(plan.repository, pushTag, plan.auth, plan.signal);
      manifests[arch] = pushed.digest;
      log.info(`pushed ${plan.repository}:${pushTag} (linux/${arch}) ${pushed.digest}`);
    } finally {
      // The push tag is publish's own: the daemon is left as it was.
      if (!existed) await docker.removeImage(`${plan.repository}:${pushTag}`);
    }
  }
  const digest = single
    ? (manifests[plan.arches[0] ?? ''] ?? '')
    : await writeIndex(plan, tag, Object.values(manifests), log);
  return { repository: plan.repository, tag, digest, manifests };
}

/** The local image `ref`, checked to be there and to be for `arch`. */
async function localImage(docker: DockerClient, ref: string, arch: string, make: string): Promise<string> {
  const image = await docker.inspectImage(ref);
  if (!image)
    throw new LocalImageMissingError(`${ref} is not on this Docker daemon; build it first (${make})`);
  if (image.Architecture !== arch) {
    throw new PlatformMismatchError(`${ref} is an image for ${image.Architecture}, not ${arch}`);
  }
  return ref;
}

/** `crane index append` of the pushed manifests as REPOSITORY:TAG; the index's digest. */
async function writeIndex(req: PushPlan, tag: string, digests: string[], log: Logger): Promise<string> {
  const crane = await ensureCrane(req.cacheDir, req.toolEnv, log, req.signal);
  const { env, dispose } = await craneEnv(req.toolEnv, req.auth, tmpdir());
  try {
    const args = ['index', 'append', '--tag', `${req.repository}:${tag}`];
    for (const d of digests) args.push('--manifest', `${req.repository}@${d}`);
    await runProcess(crane, args, { env, signal: req.signal, onLine: (l) => log.debug(l) });
    const out = await runProcess(crane, ['digest', `${req.repository}:${tag}`], { env, signal: req.signal });
    const digest = /sha256:[a-f0-9]{64}/.exec(out)?.[0];
    if (!digest) throw new Error(`crane digest ${req.repository}:${tag} printed no digest: ${out.trim()}`);
    log.info(`wrote the index ${req.repository}:${tag} (${req.arches.join(', ')}) ${digest}`);
    return digest;
  } finally {
    await dispose();
  }
}
