import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { DockerUnavailableError, errorMessage, throwIfAborted } from '../errors.js';
import type { Logger } from '../logger.js';
import { demuxLogs, lastLines } from './demux.js';
import { type DockerEndpoint, describeEndpoint } from './endpoint.js';
import { isNotFound, mapDockerError } from './errors.js';
import { type PullEvent, PullProgress } from './progress.js';

const CONNECT_TIMEOUT_MS = 5000;

export type ContainerInfo = Docker.ContainerInspectInfo;
export type ContainerSummary = Docker.ContainerInfo;

/**
 * The one wrapper for Docker calls: every call is logged at debug level and
 * failures become named errors. Nothing else in the core touches dockerode.
 */
export class DockerClient {
  private constructor(
    readonly api: Docker,
    readonly endpoint: DockerEndpoint,
    private readonly log: Logger,
  ) {}

  static async connect(endpoint: DockerEndpoint, log: Logger): Promise<DockerClient> {
    const client = new DockerClient(new Docker(dockerodeOptions(endpoint)), endpoint, log);
    const where = describeEndpoint(endpoint);
    const timeout = new Promise<never>((_, reject) => {
      const t = setTimeout(
        () => reject(new DockerUnavailableError(`no answer from a Docker daemon at ${where} within 5s`)),
        CONNECT_TIMEOUT_MS,
      );
      t.unref();
    });
    const ping = client.api.ping().catch((err: unknown) => {
      const mapped = mapDockerError('ping', err, where);
      throw mapped instanceof DockerUnavailableError
        ? mapped
        : new DockerUnavailableError(`no Docker daemon answers at ${where}: ${mapped.message}`, {
            cause: err,
          });
    });
    await Promise.race([ping, timeout]);
    log.debug(`connected to Docker at ${where}`);
    return client;
  }

  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.log.debug(`docker ${what}`);
    try {
      return await fn();
    } catch (err) {
      throw mapDockerError(what, err, describeEndpoint(this.endpoint));
    }
  }

  info(): Promise<{ ID?: string; ServerVersion?: string; CgroupVersion?: string }> {
    return this.call('info', () => this.api.info() as Promise<{ ID?: string; ServerVersion?: string }>);
  }

  /** `docker image inspect`, or undefined when the image is not present. */
  async inspectImage(ref: string): Promise<Docker.ImageInspectInfo | undefined> {
    try {
      return await this.api.getImage(ref).inspect();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw mapDockerError(`inspect image ${ref}`, err, describeEndpoint(this.endpoint));
    }
  }

  async imageExists(ref: string): Promise<boolean> {
    return (await this.inspectImage(ref)) !== undefined;
  }

  /** The local image id (sha256:…) of `ref`, or undefined when it is not present. */
  async imageId(ref: string): Promise<string | undefined> {
    return (await this.inspectImage(ref))?.Id;
  }

  /** Pull once, no retry loop: a missing image fails at once. */
  async pull(ref: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const stream = await this.call(`pull ${ref}`, () => this.api.pull(ref) as Promise<NodeJS.ReadableStream>);
    const destroy = (): void => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    // An abort while the request was being answered has no listener to fire: check now.
    if (signal?.aborted) {
      destroy();
      throwIfAborted(signal);
    }
    const progress = new PullProgress();
    let last = 0;
    await this.call(
      `pull ${ref}`,
      () =>
        new Promise<void>((resolve, reject) => {
          const onAbort = (): void => {
            destroy();
            reject(signal?.reason);
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          this.api.modem.followProgress(
            stream,
            (err: Error | null) => {
              signal?.removeEventListener('abort', onAbort);
              if (err) reject(err);
              else resolve();
            },
            (event: PullEvent) => {
              if (event.error) return;
              progress.add(event);
              const now = Date.now();
              if (now - last > 250) {
                last = now;
                this.log.progress(progress.line(ref));
              }
            },
          );
        }),
    );
    this.log.progress(progress.line(ref));
    this.log.info(`pulled ${ref}`);
  }

  /** Remove an image by reference; absent is fine. */
  async removeImage(ref: string): Promise<void> {
    try {
      await this.api.getImage(ref).remove({ force: true });
      this.log.debug(`removed image ${ref}`);
    } catch (err) {
      if (isNotFound(err)) return;
      throw mapDockerError(`remove image ${ref}`, err, describeEndpoint(this.endpoint));
    }
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    try {
      return await this.api.getContainer(id).inspect();
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw mapDockerError(`inspect container ${id}`, err, describeEndpoint(this.endpoint));
    }
  }

  listContainers(filters: Record<string, string[]>): Promise<ContainerSummary[]> {
    return this.call('list containers', () => this.api.listContainers({ all: true, filters }));
  }

  /** Remove a container and its anonymous volumes; absent is fine. */
  async removeContainer(id: string): Promise<void> {
    try {
      await this.api.getContainer(id).remove({ force: true, v: true });
      this.log.debug(`removed container ${id.slice(0, 12)}`);
    } catch (err) {
      if (isNotFound(err) || /removal of container .* is already in progress/i.test(errorMessage(err)))
        return;
      throw mapDockerError(`remove container ${id}`, err, describeEndpoint(this.endpoint));
    }
  }

  async listVolumes(filters: Record<string, string[]>): Promise<string[]> {
    const res = await this.call('list volumes', () => this.api.listVolumes({ filters }));
    return (res.Volumes ?? []).map((v) => v.Name);
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.api.getVolume(name).remove();
    } catch (err) {
      if (isNotFound(err)) return;
      throw mapDockerError(`remove volume ${name}`, err, describeEndpoint(this.endpoint));
    }
  }

  async listNetworks(filters: Record<string, string[]>): Promise<string[]> {
    const res = await this.call('list networks', () => this.api.listNetworks({ filters }));
    return res.map((n) => n.Id);
  }

  async removeNetwork(id: string): Promise<void> {
    try {
      await this.api.getNetwork(id).remove();
    } catch (err) {
      if (isNotFound(err)) return;
      throw mapDockerError(`remove network ${id}`, err, describeEndpoint(this.endpoint));
    }
  }

  async logs(id: string, tail: number | 'all'): Promise<string> {
    const buf = await this.call(
      `logs ${id.slice(0, 12)}`,
      () =>
        this.api.getContainer(id).logs({
          stdout: true,
          stderr: true,
          follow: false,
          ...(tail === 'all' ? {} : { tail }),
        }) as Promise<Buffer>,
    );
    const text = demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    return tail === 'all' ? text : lastLines(text, tail);
  }
}

/**
 * docker-modem fills every option not given from DOCKER_HOST and
 * DOCKER_CERT_PATH in process.env (a set DOCKER_HOST even beats socketPath).
 * Naming each of them makes the resolved endpoint alone decide.
 */
const NO_ENV_DEFAULTS = {
  host: undefined,
  port: undefined,
  protocol: undefined,
  ca: undefined,
  cert: undefined,
  key: undefined,
} as unknown as Docker.DockerOptions;

function dockerodeOptions(ep: DockerEndpoint): Docker.DockerOptions {
  if (ep.kind === 'socket') return { ...NO_ENV_DEFAULTS, socketPath: ep.socketPath };
  if (!ep.tls) return { ...NO_ENV_DEFAULTS, host: ep.host, port: ep.port, protocol: 'http' };
  const read = (path: string): Buffer => readFileSync(path);
  try {
    return {
      host: ep.host,
      port: ep.port,
      protocol: 'https',
      ca: read(ep.tls.ca),
      cert: read(ep.tls.cert),
      key: read(ep.tls.key),
    };
  } catch (err) {
    throw new DockerUnavailableError(`DOCKER_CERT_PATH: cannot read TLS files (${errorMessage(err)})`);
  }
}
