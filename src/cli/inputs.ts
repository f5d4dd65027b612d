import { isIP } from 'node:net';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { KubeSource } from '../core/bake/sources.js';
import { type PortMapping, parsePublish } from '../core/cluster/ports.js';
import type { PrivilegeChoice } from '../core/cluster/privilege.js';
import { checkRegistryLogin, type RegistryLogin } from '../core/cluster/registry-login.js';
import { parseDuration, parseTtl } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { validateImageRef } from '../core/image/reference.js';
import { resolveKubernetesVersion } from '../core/image/versions.js';
import { truncate, validateClusterName } from '../core/names.js';
import { parseKubeSource } from './build-inputs.js';

/** Environment the CLI reads, once, at the edge. */
export interface CliEnv {
  home: string;
  cacheDir: string;
  stateDir: string;
  debug: boolean;
  /** REGISTRY, REGISTRY_USER and REGISTRY_PASSWORD, as given. */
  registry: { server: string; user: string; password: string };
  /** Where `--kube-source release` downloads from (tests point it at a local server). */
  releaseBaseUrl: string | undefined;
}

export function readEnv(env: NodeJS.ProcessEnv): CliEnv {
  const home = env.HOME || homedir();
  const xdgCache = env.XDG_CACHE_HOME || join(home, '.cache');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const registry = {
    server: env.REGISTRY ?? '',
    user: env.REGISTRY_USER ?? '',
    password: env.REGISTRY_PASSWORD ?? '',
  };
  return {
    home,
    cacheDir: env.KIND_ACTION_CACHE || (isRoot ? '/var/cache/kind-action' : join(xdgCache, 'kind-action')),
    stateDir: join(xdgCache, 'kind-action'),
    debug: env.KIND_ACTION_DEBUG === '1' || env.RUNNER_DEBUG === '1',
    registry,
    releaseBaseUrl: env.KIND_ACTION_RELEASE_URL || undefined,
  };
}

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
}

export function upInputs(raw: RawUp, env: CliEnv): UpInputs {
  const name = validateClusterName(raw.name);
  const listenAddress = parseListen(raw.listenAddress);
  return {
    name,
    image: raw.image === undefined ? undefined : validateImageRef(raw.image),
    k8sVersion: resolveKubernetesVersion(raw.k8sVersion),
    timeoutMs: parseDuration(raw.timeout, '--timeout'),
    ttlMs: parseTtl(raw.ttl, '--ttl'),
    kubeconfigPath: kubeconfigPath(raw.kubeconfig, name, env),
    publish: raw.publish.map((p) => parsePublish(p, listenAddress)),
    listenAddress,
    privilege: parsePrivilege(raw.privilegedMode),
    kubeSource: parseKubeSource(raw.kubeSource),
    network: raw.network === undefined ? undefined : parseNetwork(raw.network),
    retain: raw.retain === true,
    json: raw.json === true,
  };
}

/** The node's registry login from the environment, checked before anything starts. */
export function registryLogin(env: CliEnv): RegistryLogin | undefined {
  return checkRegistryLogin(
    env.registry,
    { server: 'REGISTRY', user: 'REGISTRY_USER', password: 'REGISTRY_PASSWORD' },
    'ignore',
  );
}

export function kubeconfigPath(given: string | undefined, name: string, env: CliEnv): string {
  if (given === undefined) return join(env.home, '.kube', `kind-action-${name}.yaml`);
  if (given.trim() === '' || given.includes('\n') || given.includes('\0')) {
    throw new UsageError(`--kubeconfig: "${truncate(given)}" is not a usable file path`);
  }
  // Refused up front: the file is written only once the cluster is up.
  if (given.length > 4095 || given.split('/').some((part) => Buffer.byteLength(part) > 255)) {
    throw new UsageError(`--kubeconfig: "${truncate(given)}" is too long for a file path`);
  }
  return isAbsolute(given) ? given : resolve(given);
}

function parseListen(value: string): string {
  if (isIP(value) === 0) {
    throw new UsageError(`--listen-address: "${truncate(value)}" is not an IP address`);
  }
  return value;
}

function parseNetwork(value: string): string {
  if (/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(value)) return value;
  throw new UsageError(`--network: "${truncate(value)}" is not a Docker network name`);
}

function parsePrivilege(value: string): PrivilegeChoice {
  if (value === 'auto' || value === 'privileged' || value === 'fallback') return value;
  throw new UsageError(`--privileged-mode: "${truncate(value)}" is not one of auto, privileged, fallback`);
}

export interface WaitInputs {
  url: string;
  apiServer: string;
  name: string;
  timeoutMs: number;
  kubeconfigPath: string | undefined;
  json: boolean;
}

export function waitInputs(
  raw: {
    url: string;
    apiServer?: string;
    name: string;
    timeout: string;
    kubeconfig?: string;
    json?: boolean;
  },
  env: CliEnv,
): WaitInputs {
  const url = httpUrl(raw.url, '--url', 'http://kind:10080');
  if (raw.apiServer !== undefined) httpUrl(raw.apiServer, '--api-server', 'https://kind:8443');
  const name = validateClusterName(raw.name);
  const base = url.origin;
  return {
    url: base,
    apiServer:
      raw.apiServer ?? `https://${url.hostname.includes(':') ? `[${url.hostname}]` : url.hostname}:8443`,
    name,
    timeoutMs: parseDuration(raw.timeout, '--timeout'),
    kubeconfigPath: raw.kubeconfig === undefined ? undefined : kubeconfigPath(raw.kubeconfig, name, env),
    json: raw.json === true,
  };
}

/** An http(s) URL with nothing a kubeconfig or a request line could trip on. */
function httpUrl(value: string, what: string, example: string): URL {
  let url: URL | undefined;
  try {
    url = /[\s"'`$\\]/.test(value) || value.length > 2048 ? undefined : new URL(value);
  } catch {
    url = undefined;
  }
  if (!url) throw new UsageError(`${what}: "${truncate(value)}" is not a URL (e.g. ${example})`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${what}: "${truncate(value)}" must start with http:// or https://`);
  }
  return url;
}

export function optionalName(name: string | undefined): string | undefined {
  return name === undefined ? undefined : validateClusterName(name);
}
