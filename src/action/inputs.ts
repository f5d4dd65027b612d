import * as core from '@actions/core';
import { type KubeSource, parseKubeSource } from '../core/bake/sources.js';
import { checkRegistryLogin, type RegistryLogin } from '../core/cluster/registry-login.js';
import { DEFAULT_TTL, parseDuration, parseTtl } from '../core/duration.js';
import { UsageError } from '../core/errors.js';
import { existingFile } from '../core/files.js';
import { validateImageRef, validateRepository } from '../core/image/reference.js';
import type { BuildPolicy } from '../core/image/resolve.js';
import { resolveKubernetesVersion } from '../core/image/versions.js';
import { kubeconfigPath } from '../core/kubeconfig/path.js';
import { truncate, validateClusterName } from '../core/names.js';

/** The Action's input for each field the core's errors name, where the two differ. */
const INPUT_OF_FIELD: Readonly<Record<string, string>> = {
  timeout: 'wait',
  preload: 'preload-images',
};

/** How the Action words an error's field: the name of its input. */
export function inputName(field: string): string {
  return INPUT_OF_FIELD[field] ?? field;
}

/** Every input of action.yml, validated and in the form the run needs. */
export interface Inputs {
  name: string;
  k8sVersion: string;
  image: string | undefined;
  build: BuildPolicy;
  preloadImages: string[];
  beforeCluster: string | undefined;
  afterCluster: string | undefined;
  kubeSource: KubeSource;
  cache: boolean;
  cacheKeySuffix: string;
  waitMs: number;
  ttlMs: number;
  kubeconfig: string;
  exportDockerHost: boolean;
  registry: RegistryLogin | undefined;
  /** A node image repository (a mirror) to pull from instead of the published one. */
  repository: string | undefined;
  keep: boolean;
}

/**
 * Read and check every input before anything starts. The defaults repeat
 * action.yml's, so a run outside a runner (tests, `act`) behaves the same.
 * Errors name the input and the accepted form.
 */
export function getInputs(home: string): Inputs {
  // Mask first: nothing below may print the password, even in an error.
  const password = core.getInput('registry-password');
  if (password) core.setSecret(password);
  const name = validateClusterName(text('name') || 'kind');
  const image = optional('image');
  const build = oneOf('build', ['auto', 'always', 'never'] as const, 'auto');
  const preloadImages = list('preload-images').map((ref) => validateImageRef(ref, 'preload'));
  const beforeCluster = existingFile(optional('before-cluster'), 'before-cluster');
  const afterCluster = existingFile(optional('after-cluster'), 'after-cluster');
  if (image !== undefined) {
    validateImageRef(image, 'image');
    if (build === 'always') throw new UsageError('image: cannot be combined with build: always');
    if (preloadImages.length || beforeCluster || afterCluster) {
      throw new UsageError(
        'image: preload-images, before-cluster and after-cluster change a baked image; leave image empty to bake one',
      );
    }
  }
  return {
    name,
    k8sVersion: resolveKubernetesVersion(optional('k8s-version')),
    image,
    build,
    preloadImages,
    beforeCluster,
    afterCluster,
    kubeSource: parseKubeSource(text('kube-source') || 'release', 'kube-source'),
    cache: bool('cache', true),
    cacheKeySuffix: suffix(text('cache-key-suffix')),
    waitMs: parseDuration(text('wait') || '180s', 'timeout'),
    ttlMs: parseTtl(text('ttl') || DEFAULT_TTL, 'ttl'),
    kubeconfig: kubeconfigPath(optional('kubeconfig'), name, home),
    exportDockerHost: bool('export-docker-host', true),
    registry: registry(password),
    repository: repository(),
    keep: bool('keep', false),
  };
}

function repository(): string | undefined {
  const value = optional('repository');
  return value === undefined ? undefined : validateRepository(value);
}

function text(input: string): string {
  return core.getInput(input).trim();
}

function optional(input: string): string | undefined {
  return text(input) || undefined;
}

function oneOf<T extends string>(input: string, allowed: readonly T[], fallback: T): T {
  const value = text(input) || fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${input}: "${truncate(value)}" is not one of ${allowed.join(', ')}`);
}

function bool(input: string, fallback: boolean): boolean {
  if (text(input) === '') return fallback;
  try {
    return core.getBooleanInput(input);
  } catch {
    throw new UsageError(`${input}: "${truncate(core.getInput(input))}" is not a boolean (true or false)`);
  }
}

/** Entries separated by newlines or commas; blank entries and `#` comments ignored. */
export function splitList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

function list(input: string): string[] {
  return splitList(core.getInput(input));
}

const SUFFIX = /^[A-Za-z0-9._-]{1,64}$/;

function suffix(value: string): string {
  if (value === '' || SUFFIX.test(value)) return value;
  throw new UsageError(
    `cache-key-suffix: "${truncate(value)}" may hold only letters, digits, '.', '_' and '-' (at most 64)`,
  );
}

function registry(password: string): RegistryLogin | undefined {
  return checkRegistryLogin(
    { server: text('registry'), user: text('registry-user'), password },
    { server: 'registry', user: 'registry-user', password: 'registry-password' },
    'refuse',
  );
}
