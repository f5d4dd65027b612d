import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bakeDefaults, imageDir, nodeArch } from '../cli/bake-context.js';
import type { CliEnv } from '../cli/inputs.js';
import { bake } from '../core/bake/bake.js';
import { restoreImage } from '../core/cache/image-cache.js';
import { sha256File } from '../core/cache/integrity.js';
import { cacheKey, isCustomBake } from '../core/cache/key.js';
import { fromImages, hashTree, withImageIds } from '../core/cache/recipe.js';
import type { CacheStore } from '../core/cache/store.js';
import type { DockerClient } from '../core/docker/client.js';
import { errorMessage, ImageNotFoundError } from '../core/errors.js';
import { resolveNodeImage } from '../core/image/resolve.js';
import { localNodeImage, publishedNodeImage } from '../core/image/versions.js';
import type { Logger } from '../core/logger.js';
import { round } from '../core/ready/wait.js';
import { VERSION } from '../core/version.js';
import type { Inputs } from './inputs.js';

export type ImageSource = 'given' | 'local' | 'cache' | 'pull' | 'bake';

/** The baked image this run wants, and the cache key for it. */
export interface ImagePlan {
  ref: string;
  key: string;
  custom: boolean;
}

export interface Resolution {
  ref: string;
  source: ImageSource;
  cacheHit: boolean;
  /** Seconds per step of finding the image (cache-restore, pull, bake). */
  steps: Record<string, number>;
}

/** Hash everything that decides the baked bytes into the cache key. */
export async function planImage(docker: DockerClient, inputs: Inputs): Promise<ImagePlan> {
  const dir = imageDir();
  const [recipe, dockerfile] = await Promise.all([hashTree(dir), readFile(join(dir, 'Dockerfile'), 'utf8')]);
  const hooks: Record<string, string> = {};
  if (inputs.beforeCluster) hooks['before-cluster'] = await sha256File(inputs.beforeCluster);
  if (inputs.afterCluster) hooks['after-cluster'] = await sha256File(inputs.afterCluster);
  const parts = {
    toolVersion: VERSION,
    k8sVersion: inputs.k8sVersion,
    kubeSource: inputs.kubeSource,
    arch: nodeArch(),
    recipe,
    baseImages: await withImageIds(docker, fromImages(dockerfile)),
    preload: inputs.preloadImages,
    hooks,
    suffix: inputs.cacheKeySuffix,
  };
  const key = cacheKey(parts);
  const custom = isCustomBake(parts);
  const plain = localNodeImage(inputs.k8sVersion);
  const ref = custom ? `${plain}-c${createHash('sha256').update(key).digest('hex').slice(0, 12)}` : plain;
  return { ref, key, custom };
}

export interface ResolveContext {
  docker: DockerClient;
  inputs: Inputs;
  plan: ImagePlan | undefined;
  store: CacheStore | undefined;
  workDir: string;
  env: CliEnv;
  log: Logger;
}

/**
 * The Action's order: an explicit image (local, else pull); otherwise the
 * baked image locally, else from the cache, else the published one (plain
 * bakes only), else bake it here. `build` forces or forbids the bake.
 */
export async function resolveImage(ctx: ResolveContext, signal: AbortSignal): Promise<Resolution> {
  const { docker, inputs, plan, log } = ctx;
  const steps: Record<string, number> = {};
  const done = (ref: string, source: ImageSource, cacheHit = false): Resolution => ({
    ref,
    source,
    cacheHit,
    steps,
  });
  if (inputs.image) {
    const ref = await resolveNodeImage(
      docker,
      { image: inputs.image, k8sVersion: inputs.k8sVersion },
      log,
      signal,
    );
    return done(ref, 'given');
  }
  if (!plan) throw new Error('no image plan');
  if (inputs.build !== 'always') {
    if (await docker.imageExists(plan.ref)) return done(plan.ref, 'local');
    if (ctx.store) {
      const t = performance.now();
      const restored = await restoreImage(
        docker,
        plan.ref,
        { store: ctx.store, key: plan.key, prefixes: [`${plan.key}-`], workDir: ctx.workDir, signal },
        log,
      );
      steps['cache-restore'] = round((performance.now() - t) / 1000);
      if (restored.hit) {
        steps['cache-fetch'] = restored.seconds.restore;
        steps['cache-verify'] = restored.seconds.verify;
        steps['cache-load'] = restored.seconds.load;
        return done(plan.ref, 'cache', true);
      }
      log.info(`cache miss: ${restored.reason}`);
    }
    if (!plan.custom) {
      const pulled = await tryPull(docker, publishedNodeImage(inputs.k8sVersion), steps, log, signal);
      if (pulled) return done(pulled, 'pull');
    }
    if (inputs.build === 'never') {
      throw new ImageNotFoundError(
        `build: never, and ${plan.ref} is not present locally${ctx.store ? ', in the cache' : ''} or in a registry`,
      );
    }
  }
  const t = performance.now();
  await bakeImage(ctx, plan.ref, signal);
  steps.bake = round((performance.now() - t) / 1000);
  return done(plan.ref, 'bake');
}

async function tryPull(
  docker: DockerClient,
  ref: string,
  steps: Record<string, number>,
  log: Logger,
  signal: AbortSignal,
): Promise<string | undefined> {
  const t = performance.now();
  try {
    await docker.pull(ref, signal);
    return ref;
  } catch (err) {
    if (signal.aborted) throw err;
    log.info(`no published node image (${errorMessage(err)}); baking one`);
    return undefined;
  } finally {
    steps.pull = round((performance.now() - t) / 1000);
  }
}

async function bakeImage(ctx: ResolveContext, tag: string, signal: AbortSignal): Promise<void> {
  const { inputs, env } = ctx;
  const secretDir = inputs.registry ? await mkdtemp(join(tmpdir(), 'kind-action-secret-')) : undefined;
  try {
    let registrySecretFile: string | undefined;
    if (secretDir && inputs.registry) {
      registrySecretFile = join(secretDir, 'registry');
      const { server, user, password } = inputs.registry;
      await writeFile(
        registrySecretFile,
        `REGISTRY=${server}\nREGISTRY_USER=${user}\nREGISTRY_PASSWORD=${password}\n`,
        { mode: 0o600 },
      );
      await chmod(registrySecretFile, 0o600);
    }
    await bake(
      ctx.docker,
      {
        k8sVersion: inputs.k8sVersion,
        tag,
        kubeSource: inputs.kubeSource,
        preload: inputs.preloadImages,
        ...(inputs.beforeCluster ? { beforeCluster: inputs.beforeCluster } : {}),
        ...(inputs.afterCluster ? { afterCluster: inputs.afterCluster } : {}),
        ...(registrySecretFile ? { registrySecretFile } : {}),
        ...bakeDefaults(env, signal),
      },
      ctx.log,
    );
  } finally {
    if (secretDir) await rm(secretDir, { recursive: true, force: true });
  }
}
