import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * What every adapter reads from its environment, once, at the edge; the core
 * takes these values as options and reads no environment itself.
 */
export interface RunEnv {
  home: string;
  cacheDir: string;
  stateDir: string;
  debug: boolean;
  /** REGISTRY, REGISTRY_USER and REGISTRY_PASSWORD, as given. */
  registry: { server: string; user: string; password: string };
  /** KIND_ACTION_REPOSITORY: a node image repository (a mirror) to pull from, as given. */
  repository: string | undefined;
  /** The Docker config file (DOCKER_CONFIG/config.json, else ~/.docker/config.json): `docker login`'s credentials. */
  dockerConfigFile: string;
  /** KIND_ACTION_KUBECTL_DIR: the job image's kubectls, one per version, which `wait --url` matches to the node. */
  kubectlDir: string | undefined;
  /** Where `release` bakes download from (tests point it at a local server). */
  releaseBaseUrl: string | undefined;
  /** KUBERNETES_SERVICE_HOST: set in a pod of a Kubernetes cluster (with its service account token). */
  kubernetesServiceHost: string | undefined;
  /** The environment the programs the core runs (build scripts, zstd) get; its PATH finds them. */
  toolEnv: Readonly<Record<string, string | undefined>>;
}

export function readRunEnv(env: Readonly<Record<string, string | undefined>>): RunEnv {
  const home = env.HOME || homedir();
  const xdgCache = env.XDG_CACHE_HOME || join(home, '.cache');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return {
    home,
    cacheDir: env.KIND_ACTION_CACHE || (isRoot ? '/var/cache/kind-action' : join(xdgCache, 'kind-action')),
    stateDir: join(xdgCache, 'kind-action'),
    debug: env.KIND_ACTION_DEBUG === '1' || env.RUNNER_DEBUG === '1',
    registry: {
      server: env.REGISTRY ?? '',
      user: env.REGISTRY_USER ?? '',
      password: env.REGISTRY_PASSWORD ?? '',
    },
    repository: env.KIND_ACTION_REPOSITORY || undefined,
    dockerConfigFile: join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'),
    kubectlDir: env.KIND_ACTION_KUBECTL_DIR || undefined,
    releaseBaseUrl: env.KIND_ACTION_RELEASE_URL || undefined,
    kubernetesServiceHost: env.KUBERNETES_SERVICE_HOST || undefined,
    toolEnv: { ...env },
  };
}
