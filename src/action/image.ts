import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bake } from '../core/bake/bake.js';
import { bakeDefaults } from '../core/bake/defaults.js';
import { PrivilegeMemo } from '../core/cluster/privilege.js';
import { registryAuth } from '../core/docker/auth.js';
import type { DockerClient } from '../core/docker/client.js';
import { customizeImage } from '../core/image/customize.js';
import type { ImageRequest } from '../core/image/resolve.js';
import type { Logger } from '../core/logger.js';
import type { RunEnv } from '../core/run-env.js';
import type { Inputs } from './inputs.js';

/**
 * The Action's bake: the inputs' preloads and hooks, and the registry login
 * as a secret file that exists only while the bake runs.
 */
export function actionBake(
  docker: DockerClient,
  inputs: Inputs,
  env: RunEnv,
  log: Logger,
): (tag: string, signal: AbortSignal) => Promise<void> {
  return async (tag, signal) => {
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
        docker,
        {
          ...bakeDefaults(env, signal),
          k8sVersion: inputs.k8sVersion,
          tag,
          kubeSource: inputs.kubeSource,
          preload: inputs.preloadImages,
          ...(inputs.beforeCluster ? { beforeCluster: inputs.beforeCluster } : {}),
          ...(inputs.afterCluster ? { afterCluster: inputs.afterCluster } : {}),
          ...(registrySecretFile ? { registrySecretFile } : {}),
        },
        log,
      );
    } finally {
      if (secretDir) await rm(secretDir, { recursive: true, force: true });
    }
  };
}

/**
 * The Action's customization of the published image: the inputs' hooks and
 * preloads, pulled with the registry login (or the Docker config's
 * credentials) when this Docker does not have them.
 */
export function actionCustomize(
  docker: DockerClient,
  inputs: Inputs,
  env: RunEnv,
  log: Logger,
): NonNullable<ImageRequest['customize']> {
  return (base, tag, signal) =>
    customizeImage(
      docker,
      {
        base: base.ref,
        basePinned: base.pinned,
        tag,
        preload: inputs.preloadImages,
        hooks: {
          ...(inputs.beforeCluster ? { 'before-cluster': inputs.beforeCluster } : {}),
          ...(inputs.afterCluster ? { 'after-cluster': inputs.afterCluster } : {}),
        },
        authFor: (ref) => registryAuth(ref, inputs.registry, env.dockerConfigFile),
        privilege: 'auto',
        memo: PrivilegeMemo.inDir(env.stateDir),
        signal,
      },
      log,
    );
}
