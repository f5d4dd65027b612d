import { isIP } from 'node:net';
import { type KubeSource, parseKubeSource } from '../core/bake/sources.js';
import { type PortMapping, parsePublish } from '../core/cluster/ports.js';
import type { PrivilegeChoice } from '../core/cluster/privilege.js';
import { checkRegistryLogin, type RegistryLogin } from '../core/cluster/registry-login.js';
import { parseDuration, parseTtl } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { validateImageRef, validateRepository } from '../core/image/reference.js';
import { resolveKubernetesVersion } from '../core/image/versions.js';
import { kubeconfigPath } from '../core/kubeconfig/path.js';
import { truncate, validateClusterName } from '../core/names.js';
import type { RunEnv } from '../core/run-env.js';

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
  json?: boolean;
  repository?: string;
}

export interface UpInputs {
  name: string;
  image: string | undefined;
  k8sVersion: string;
  timeoutMs: number;
  ttlMs: number;
  kubeconfigPath: string;
  publish: PortMapping[];
  listenAddress: string;
  privilege: PrivilegeChoice;
  kubeSource: KubeSource;
  network: string | undefined;
  retain: boolean;
  json: boolean;
  /** --repository, else KIND_ACTION_REPOSITORY: a mirror of the node images. */
  repository: string | undefined;
}

export function upInputs(raw: RawUp, env: RunEnv): UpInputs {
  const name = validateClusterName(raw.name);
  const listenAddress = parseListen(raw.listenAddress);
  return {
    name,
    image: raw.image === undefined ? undefined : validateImageRef(raw.image),
    k8sVersion: resolveKubernetesVersion(raw.k8sVersion),
    timeoutMs: parseDuration(raw.timeout, 'timeout'),
    ttlMs: parseTtl(raw.ttl, 'ttl'),
    kubeconfigPath: kubeconfigPath(raw.kubeconfig, name, env.home),
    publish: raw.publish.map((p) => parsePublish(p, listenAddress)),
    listenAddress,
    privilege: parsePrivilege(raw.privilegedMode),
    kubeSource: parseKubeSource(raw.kubeSource),
    network: raw.network === undefined ? undefined : parseNetwork(raw.network),
    retain: raw.retain === true,
    json: raw.json === true,
    repository: repositoryInput(raw.repository, env),
  };
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

function parseListen(value: string): string {
  if (isIP(value) === 0) {
    throw new UsageError(`"${truncate(value)}" is not an IP address`, { field: 'listen-address' });
  }
  return value;
}

function parseNetwork(value: string): string {
  if (/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(value)) return value;
  throw new UsageError(`"${truncate(value)}" is not a Docker network name`, { field: 'network' });
}

function parsePrivilege(value: string): PrivilegeChoice {
  if (value === 'auto' || value === 'privileged' || value === 'fallback') return value;
  throw new UsageError(`"${truncate(value)}" is not one of auto, privileged, fallback`, {
    field: 'privileged-mode',
  });
}

export interface WaitInputs {
  url: string;
  apiServer: string;
  name: string;
  timeoutMs: number;
  kubeconfigPath: string | undefined;
  json: boolean;
}

export interface RawWait {
  url: string;
  apiServer?: string;
  name: string;
  timeout: string;
  kubeconfig?: string;
  json?: boolean;
}

export function waitInputs(raw: RawWait, env: RunEnv): WaitInputs {
  const url = httpUrl(raw.url, 'url', 'http://kind:10080');
  if (raw.apiServer !== undefined) httpUrl(raw.apiServer, 'api-server', 'https://kind:8443');
  const name = validateClusterName(raw.name);
  const base = url.origin;
  return {
    url: base,
    apiServer:
      raw.apiServer ?? `https://${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:8443`,
    name,
    timeoutMs: parseDuration(raw.timeout, 'timeout'),
    kubeconfigPath: raw.kubeconfig === undefined ? undefined : kubeconfigPath(raw.kubeconfig, name, env.home),
    json: raw.json === true,
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
