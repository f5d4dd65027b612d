import type Docker from 'dockerode';
import { DockerApiError, throwIfAborted } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Call } from './io.js';
import { followProgress, type Modem } from './streams.js';

/**
 * Registry credentials as Docker's X-Registry-Auth header carries them: the
 * daemon talks to the registry, so they never reach an argument, the
 * environment of a process or a log line.
 */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
  /** An identity (refresh) token instead of a password, from a credential helper. */
  identitytoken?: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** What a registry says a reference is, asked through the daemon (GET /distribution/…/json). */
export interface Distribution {
  /** The digest the tag names: of the index, or of the single manifest. */
  digest: string;
  mediaType: string;
  platforms: Platform[];
}

export interface PushResult {
  digest: string;
  size: number;
}

interface PushEvent {
  status?: string;
  id?: string;
  error?: string;
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

interface DistributionInspect {
  Descriptor?: { mediaType?: string; digest?: string };
  Platforms?: Platform[];
}

/** The daemon's registry calls (distribution, tag, push); only DockerClient makes one. */
export function registryCalls(api: Docker, modem: Modem, call: Call, log: Logger) {
  return {
    /** The digest and platforms `ref` names in its registry; nothing is downloaded. */
    async distribution(ref: string, auth?: RegistryAuth): Promise<Distribution> {
      const data = (await call(`distribution ${ref}`, () =>
        api.getImage(ref).distribution(auth ? { authconfig: auth } : {}),
      )) as DistributionInspect;
      const digest = data.Descriptor?.digest;
      if (!digest) throw new DockerApiError(`distribution ${ref}: the daemon returned no digest`);
      return { digest, mediaType: data.Descriptor?.mediaType ?? '', platforms: data.Platforms ?? [] };
    },

    /** `docker tag source repo:tag`. */
    async tag(source: string, repo: string, tag: string): Promise<void> {
      await call(`tag ${source} ${repo}:${tag}`, () => api.getImage(source).tag({ repo, tag }));
    },

    /** `docker push repo:tag`, with a progress line; the pushed manifest's digest and size. */
    async push(repo: string, tag: string, auth: RegistryAuth | undefined, signal?: AbortSignal) {
      throwIfAborted(signal);
      const what = `push ${repo}:${tag}`;
      const options = signal ? { tag, abortSignal: signal } : { tag };
      const stream = await call(what, () => api.getImage(repo).push(options, undefined, auth));
      let last = 0;
      const events = await call(what, () =>
        followProgress<PushEvent>(modem, stream, (event) => {
          if (event.status && Date.now() - last > 1000) {
            last = Date.now();
            log.progress(`pushing ${repo}:${tag}: ${event.id ? `${event.id} ` : ''}${event.status}`);
          }
        }),
      );
      const failed = events.find((e) => e.error);
      if (failed) throw new DockerApiError(`${what}: ${failed.error}`);
      const aux = events.find((e) => e.aux?.Digest)?.aux;
      if (!aux?.Digest) throw new DockerApiError(`${what}: the daemon reported no digest`);
      return { digest: aux.Digest, size: aux.Size ?? 0 } satisfies PushResult;
    },
  };
}

export type RegistryCalls = ReturnType<typeof registryCalls>;

/** The pull request's progress stream; credentials, when given, in the X-Registry-Auth header. */
export function pullStream(api: Docker, ref: string, auth?: RegistryAuth): Promise<NodeJS.ReadableStream> {
  if (!auth) return api.pull(ref) as Promise<NodeJS.ReadableStream>;
  return new Promise((resolve, reject) => {
    api.pull(ref, {}, (err, stream) => (err || !stream ? reject(err) : resolve(stream)), auth);
  });
}
