import type Docker from 'dockerode';
import { DockerApiError } from '../errors.js';
import type { Call } from './io.js';
import { followProgress, type Modem } from './streams.js';

/** One event of a build, import or load progress stream. */
export interface ProgressEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Images and filesystems as tar streams, through the daemon; only DockerClient makes one. */
export function imageTransfer(api: Docker, modem: Modem, call: Call) {
  return {
    /** `docker import` of a tar stream as `repo`, with Dockerfile `changes`; every event. */
    async import(
      tar: NodeJS.ReadableStream,
      opts: { repo: string; changes: string[] },
    ): Promise<ProgressEvent[]> {
      const stream = await call(`import ${opts.repo}`, () => api.importImage(tar, opts));
      return call(`import ${opts.repo}`, () => followProgress<ProgressEvent>(modem, stream));
    },

    /** `docker export`: a container's filesystem as a tar stream. */
    export(id: string): Promise<NodeJS.ReadableStream> {
      return call(`export ${id.slice(0, 12)}`, () => api.getContainer(id).export());
    },

    /** `docker save ref`: the image (its layers, configuration and manifest.json) as a tar stream. */
    save(ref: string): Promise<NodeJS.ReadableStream> {
      return call(`save ${ref}`, () => api.getImage(ref).get());
    },

    /** `docker load` of a tar stream; the daemon's lines (e.g. "Loaded image: …"). */
    async load(tar: NodeJS.ReadableStream): Promise<string[]> {
      const stream = await call('load', () => api.loadImage(tar, { quiet: true }));
      const events = await call('load', () => followProgress<ProgressEvent>(modem, stream));
      const failed = events.find((e) => e.error);
      if (failed) throw new DockerApiError(`docker load: ${failed.errorDetail?.message ?? failed.error}`);
      return events.flatMap((e) => (e.stream?.trim() ? [e.stream.trim()] : []));
    },
  };
}

export type ImageTransfer = ReturnType<typeof imageTransfer>;

/** What `docker info` says of the daemon (the fields the product reads). */
export interface DaemonInfo {
  ID?: string;
  ServerVersion?: string;
  CgroupVersion?: string;
  Driver?: string;
  DriverStatus?: [string, string][] | null;
}

/**
 * True when the daemon keeps images in containerd's image store (Docker 24+
 * with the containerd snapshotter; `docker info` reports the driver type
 * io.containerd.snapshotter.v1) rather than in a graph driver (overlay2).
 */
export function usesContainerdStore(info: DaemonInfo): boolean {
  return (info.DriverStatus ?? []).some(
    ([key, value]) => key === 'driver-type' && value.startsWith('io.containerd.snapshotter'),
  );
}
