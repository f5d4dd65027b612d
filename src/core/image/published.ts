import type { RegistryLogin } from '../cluster/registry-login.js';
import { registryAuth } from '../docker/auth.js';
import type { DockerClient, RegistryAuth } from '../docker/client.js';
import type { Platform } from '../docker/registry.js';
import {
  DigestMismatchError,
  errorMessage,
  KindActionError,
  PlatformMismatchError,
  PullFailedError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { nodeArch } from '../package.js';
import { round } from '../ready/wait.js';
import { kubernetesRelease, NODE_REPOSITORY, publishedTag } from './versions.js';

/** Where the published node image of a version is pulled from. */
export interface PublishedSource {
  repository: string;
  /** The digest the version table pins (the table's repository only); undefined: pulled by tag. */
  digest: string | undefined;
  /** The repository was given (--repository, KIND_ACTION_REPOSITORY, the `repository` input). */
  explicit: boolean;
  /** Credentials for the repository's registry, handed to the daemon in a header. */
  auth: RegistryAuth | undefined;
}

/**
 * The table's repository pinned by the table's digest, or a repository the
 * user named (a mirror), pulled by tag.
 */
export function publishedSource(
  version: string,
  repository: string | undefined,
  auth: RegistryAuth | undefined,
): PublishedSource {
  const own = repository === undefined || repository === NODE_REPOSITORY;
  return {
    repository: repository ?? NODE_REPOSITORY,
    digest: own ? kubernetesRelease(version).digest : undefined,
    explicit: repository !== undefined,
    auth,
  };
}

/** publishedSource with the credentials `up` finds for a given repository's registry. */
export async function publishedSourceFor(
  version: string,
  repository: string | undefined,
  login: RegistryLogin | undefined,
  dockerConfigFile: string | undefined,
): Promise<PublishedSource> {
  const auth = repository ? await registryAuth(repository, login, dockerConfigFile) : undefined;
  return publishedSource(version, repository, auth);
}

/** REPOSITORY:vX.Y.Z, the name a pulled (or mirrored) node image has locally. */
export function publishedRef(source: PublishedSource, version: string): string {
  return `${source.repository}:${publishedTag(version)}`;
}

/** Why the published image is not even asked for, or undefined when it is. */
export function pullSkipReason(source: PublishedSource, version: string): string | undefined {
  if (source.explicit || source.digest) return undefined;
  return `the version table records no digest for ${publishedRef(source, version)} (not published yet)`;
}

/**
 * Pull the published node image for `arch`. The registry is asked first
 * (through the daemon) what the tag names: a digest other than the pinned
 * one, or no image for `arch`, is refused (DigestMismatchError,
 * PlatformMismatchError); then exactly that digest is pulled, with progress,
 * and tagged REPOSITORY:vX.Y.Z. A registry that cannot serve it (down, 5xx,
 * no such tag, no credentials) is a PullFailedError, for the caller to fall back.
 */
export async function pullPublished(
  docker: DockerClient,
  source: PublishedSource,
  version: string,
  arch: string,
  log: Logger,
  signal: AbortSignal,
): Promise<string> {
  const ref = publishedRef(source, version);
  const registry = docker.registry();
  const found = await registry.distribution(ref, source.auth).catch((err: unknown) => {
    throw failed(ref, err, signal);
  });
  if (source.digest && found.digest !== source.digest) {
    throw new DigestMismatchError(
      `${ref} names ${found.digest}, but the version table pins ${source.digest}; refusing to run it`,
    );
  }
  if (found.platforms.length > 0 && !found.platforms.some((p) => isFor(p, arch))) {
    throw new PlatformMismatchError(
      `${ref} has no image for linux/${arch} (it has ${found.platforms.map(platformName).join(', ')})`,
    );
  }
  const pinned = `${source.repository}@${found.digest}`;
  log.info(`pulling ${ref} (${found.digest})`);
  await docker.pull(`${ref}@${found.digest}`, signal, source.auth).catch((err: unknown) => {
    if (/no matching manifest/i.test(errorMessage(err))) {
      throw new PlatformMismatchError(`${ref} has no image for linux/${arch}: ${errorMessage(err)}`);
    }
    throw failed(ref, err, signal);
  });
  // A pull by digest leaves no tag: name it, so the next run finds it locally.
  await registry.tag(pinned, source.repository, publishedTag(version));
  const image = await docker.inspectImage(ref);
  if (image?.Architecture !== arch) {
    await docker.removeImage(ref);
    throw new PlatformMismatchError(
      `${ref} is an image for ${image?.Architecture ?? 'no'} architecture, not ${arch}`,
    );
  }
  return ref;
}

function isFor(p: Platform, arch: string): boolean {
  return p.os === 'linux' && p.architecture === arch;
}

function platformName(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

function failed(ref: string, err: unknown, signal: AbortSignal): unknown {
  if (signal.aborted || err instanceof DigestMismatchError || err instanceof PlatformMismatchError)
    return err;
  const reason = err instanceof KindActionError ? err.detail : errorMessage(err);
  return new PullFailedError(`${ref}: ${reason}`, { cause: err });
}

/**
 * The published image, pulled; or why not. A registry that cannot serve it
 * is one warning naming the reference, the reason and what happens `next`; a
 * refusal (digest or architecture) is thrown, never fallen back from.
 */
export async function pullOrReason(
  docker: DockerClient,
  source: PublishedSource,
  version: string,
  next: string,
  log: Logger,
  signal: AbortSignal,
  steps: Record<string, number>,
): Promise<{ ref: string } | { reason: string }> {
  const skip = pullSkipReason(source, version);
  if (skip) {
    log.info(`not pulling: ${skip}`);
    return { reason: skip };
  }
  const t = performance.now();
  try {
    return { ref: await pullPublished(docker, source, version, nodeArch(), log, signal) };
  } catch (err) {
    if (!(err instanceof PullFailedError)) throw err;
    log.warn(`could not pull ${err.detail}; ${next}`);
    return { reason: `pull ${err.detail}` };
  } finally {
    steps.pull = round((performance.now() - t) / 1000);
  }
}
