import { type KubeSource, parseKubeSource } from '../core/bake/sources.js';
import { type Placement, parsePlacement } from '../core/cluster/placement.js';
import type { PrivilegeChoice } from '../core/cluster/privilege.js';
import { checkRegistryLogin, type RegistryLogin } from '../core/cluster/registry-login.js';
import { parseDuration, parseTtl } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { validateImageRef, validateRepository } from '../core/image/reference.js';
import { resolveKubernetesVersion } from '../core/image/versions.js';
import { kubeconfigPath } from '../core/kubeconfig/path.js';
import { truncate, validateClusterName } from '../core/names.js';
import { type ClusterOptions, clusterOptions } from '../core/options/cluster-options.js';
import { WAIT_TARGETS, type WaitTarget } from '../core/ready/node-phases.js';
import type { RunEnv } from '../core/run-env.js';
import { rawClusterOptions } from './cluster-flags.js';

export interface RawUp {
  name: string;
  image?: string;
  k8sVersion?: string;
  timeout: string;
  ttl: string;
  kubeconfig?: string;
  publish: string[];
  listenAddress: string;
  privilegedMode: string;
  kubeSource: string;
  network?: string;
  retain?: boolean;
  waitFor: string;
  json?: boolean;
  repository?: string;
  hostKubeconfig?: string;
  namespace?: string;
  /** --config, --feature-gates, --runtime-config, --…-args (see cluster-flags.ts). */
  [clusterOption: string]: unknown;
}

export interface UpInputs extends Placement {
  name: string;
  image: string | undefined;
  k8sVersion: string;
  timeoutMs: number;
  ttlMs: number;
  kubeconfigPath: string;
  privilege: PrivilegeChoice;
  kubeSource: KubeSource;
  clusterOptions: ClusterOptions;
  retain: boolean;
  waitFor: WaitTarget;
  json: boolean;
  /** --repository, else KIND_ACTION_REPOSITORY: a mirror of the node images. */
  repository: string | undefined;
}

export function upInputs(raw: RawUp, env: RunEnv): UpInputs {
  const name = validateClusterName(raw.name);
  return {
    name,
    image: raw.image === undefined ? undefined : validateImageRef(raw.image),
    k8sVersion: resolveKubernetesVersion(raw.k8sVersion),
    timeoutMs: parseDuration(raw.timeout, 'timeout'),
    ttlMs: parseTtl(raw.ttl, 'ttl'),
    kubeconfigPath: kubeconfigPath(raw.kubeconfig, name, env.home),
    ...parsePlacement({ publish: raw.publish, listenAddress: raw.listenAddress, network: raw.network }),
    privilege: parsePrivilege(raw.privilegedMode),
    kubeSource: parseKubeSource(raw.kubeSource),
    clusterOptions: clusterOptions(rawClusterOptions(raw)),
    retain: raw.retain === true,
    waitFor: parseWaitFor(raw.waitFor),
    json: raw.json === true,
    repository: repositoryInput(raw.repository, env),
  };
}

function parseWaitFor(value: string): WaitTarget {
  const target = WAIT_TARGETS.find((t) => t === value);
  if (target) return target;
  throw new UsageError(`"${truncate(value)}" is not one of ${WAIT_TARGETS.join(', ')}`, {
    field: 'wait-for',
  });
}

/** --repository, else the environment's KIND_ACTION_REPOSITORY, each named when malformed. */
export function repositoryInput(flag: string | undefined, env: RunEnv): string | undefined {
  if (flag !== undefined) return validateRepository(flag);
  return env.repository === undefined
    ? undefined
    : validateRepository(env.repository, 'KIND_ACTION_REPOSITORY');
}

/** The node's registry login from the environment, checked before anything starts. */
export function registryLogin(env: RunEnv): RegistryLogin | undefined {
  return checkRegistryLogin(
    env.registry,
    { server: 'REGISTRY', user: 'REGISTRY_USER', password: 'REGISTRY_PASSWORD' },
    'ignore',
  );
}

function parsePrivilege(value: string): PrivilegeChoice {
  if (value === 'auto' || value === 'privileged' || value === 'fallback') return value;
  throw new UsageError(`"${truncate(value)}" is not one of auto, privileged, fallback`, {
    field: 'privileged-mode',
  });
}

/** `wait --url`: a node someone else started; `wait --name`: a cluster `up` started. */
export type WaitInputs = (
  | {
      by: 'url';
      url: string;
      apiServer: string;
      kubeconfigPath: string | undefined;
      /** KIND_ACTION_KUBECTL_DIR (the job image sets it): kubectls to match to the node. */
      kubectlDir: string | undefined;
    }
  | { by: 'name'; kubeconfigPath: string | undefined; fallbackKubeconfig: string }
) & { name: string; timeoutMs: number; json: boolean };

export interface RawWait {
  url?: string;
  apiServer?: string;
  name: string;
  timeout: string;
  kubeconfig?: string;
  json?: boolean;
}

export function waitInputs(raw: RawWait, env: RunEnv): WaitInputs {
  const url = raw.url === undefined ? undefined : httpUrl(raw.url, 'url', 'http://kind:10080');
  if (raw.apiServer !== undefined) httpUrl(raw.apiServer, 'api-server', 'https://kind:8443');
  const name = validateClusterName(raw.name);
  const common = {
    name,
    timeoutMs: parseDuration(raw.timeout, 'timeout'),
    kubeconfigPath: raw.kubeconfig === undefined ? undefined : kubeconfigPath(raw.kubeconfig, name, env.home),
    json: raw.json === true,
  };
  if (!url) {
    if (raw.apiServer !== undefined) throw new UsageError('only with --url', { field: 'api-server' });
    return { ...common, by: 'name', fallbackKubeconfig: kubeconfigPath(undefined, name, env.home) };
  }
  const host = url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname;
  return {
    ...common,
    by: 'url',
    url: url.origin,
    apiServer: raw.apiServer ?? `https://${host}:8443`,
    kubectlDir: env.kubectlDir,
  };
}

/** An http(s) URL with nothing a kubeconfig or a request line could trip on. */
function httpUrl(value: string, field: string, example: string): URL {
  let url: URL | undefined;
  try {
    url = /[\s"'`$\\]/.test(value) || value.length > 2048 ? undefined : new URL(value);
  } catch {
    url = undefined;
  }
  if (!url) throw new UsageError(`"${truncate(value)}" is not a URL (e.g. ${example})`, { field });
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`"${truncate(value)}" must start with http:// or https://`, { field });
  }
  return url;
}

export function optionalName(name: string | undefined): string | undefined {
  return name === undefined ? undefined : validateClusterName(name);
}
