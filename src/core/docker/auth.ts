import { readFile } from 'node:fs/promises';
import type { RegistryLogin } from '../cluster/registry-login.js';
import { credentialsFromHelper } from './cred-helper.js';
import type { RegistryAuth } from './registry.js';

const DOCKER_HUB = 'docker.io';

/** The registry host of a repository (registry.example.com:5000/a/b → registry.example.com:5000). */
export function registryHost(repository: string): string {
  const first = repository.split('/')[0] ?? '';
  const isHost = repository.includes('/') && (/[.:]/.test(first) || first === 'localhost');
  return isHost ? first : DOCKER_HUB;
}

/**
 * Credentials for the registry of `repository`, as `up` finds them: the
 * REGISTRY / REGISTRY_USER / REGISTRY_PASSWORD login when it names that
 * host, else what the Docker config file says, in the Docker CLI's order: the
 * host's `credHelpers` entry, else the `credsStore`, else its `auths` entry
 * (`docker login` writes one of them); none: anonymous.
 */
export async function registryAuth(
  repository: string,
  login: RegistryLogin | undefined,
  dockerConfigFile: string | undefined,
): Promise<RegistryAuth | undefined> {
  const host = registryHost(repository);
  if (login && (login.server || DOCKER_HUB) === host) {
    return { username: login.user, password: login.password, serveraddress: host };
  }
  if (!dockerConfigFile) return undefined;
  const text = await readFile(dockerConfigFile, 'utf8').catch(() => undefined);
  if (!text) return undefined;
  const helper = helperFor(text, host);
  if (helper) return credentialsFromHelper(helper, helperServer(host), host);
  return fromDockerConfig(text, host);
}

/** The credential helper a Docker config file's text names for `host`, if any. */
export function helperFor(text: string, host: string): string | undefined {
  let config: { credHelpers?: Record<string, unknown>; credsStore?: unknown };
  try {
    config = JSON.parse(text) as typeof config;
  } catch {
    return undefined;
  }
  const names = host === DOCKER_HUB ? ['https://index.docker.io/v1/', DOCKER_HUB] : [host, `https://${host}`];
  const own = names.map((n) => config.credHelpers?.[n]).find((h) => typeof h === 'string' && h !== '');
  if (typeof own === 'string') return own;
  return typeof config.credsStore === 'string' && config.credsStore !== '' ? config.credsStore : undefined;
}

/** The server name a credential helper stores a host's login under (Docker Hub's is its v1 URL). */
function helperServer(host: string): string {
  return host === DOCKER_HUB ? 'https://index.docker.io/v1/' : host;
}

/** The `auths` entry for `host` of a Docker config file's text, decoded. */
export function fromDockerConfig(text: string, host: string): RegistryAuth | undefined {
  let auths: Record<string, { auth?: string }> | undefined;
  try {
    auths = (JSON.parse(text) as { auths?: Record<string, { auth?: string }> }).auths;
  } catch {
    return undefined;
  }
  const names = host === DOCKER_HUB ? ['https://index.docker.io/v1/', DOCKER_HUB] : [host, `https://${host}`];
  const encoded = names.map((n) => auths?.[n]?.auth).find((a) => typeof a === 'string' && a !== '');
  if (!encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: host };
}
