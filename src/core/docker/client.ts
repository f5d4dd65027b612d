import Docker from 'dockerode';
import { DockerUnavailableError, errorMessage, throwIfAborted } from '../errors.js';
import type { Logger } from '../logger.js';
import { demuxLogs, lastLines } from './demux.js';
import { type DockerEndpoint, describeEndpoint } from './endpoint.js';
import { isNotFound, mapDockerError } from './errors.js';
import { type DaemonInfo, type ImageTransfer, imageTransfer, type ProgressEvent } from './image-transfer.js';
import { type Call, type ExecOutput, execCollect, followLines, followPull } from './io.js';
import { dockerodeOptions } from './options.js';
import { pullStream, type RegistryAuth, type RegistryCalls, registryCalls } from './registry.js';
import { followProgress, type Modem } from './streams.js';

export type { ExecOutput, ProgressEvent, RegistryAuth };

const CONNECT_TIMEOUT_MS = 5000;

export type ContainerInfo = Docker.ContainerInspectInfo;
export type ContainerSummary = Docker.ContainerInfo;
export type CreateOptions = Docker.ContainerCreateOptions;
export type HostConfig = Docker.HostConfig;

/**
 * The one door to Docker: every call is logged at debug level and failures
 * become named errors. Nothing else in the product touches dockerode.
 */
export class DockerClient {
  private readonly modem: Modem;
  private readonly bound: Call = (what, fn) => this.call(what, fn);

  private constructor(
    private readonly api: Docker,
    readonly endpoint: DockerEndpoint,
    private readonly log: Logger,
  ) {
    this.modem = api.modem as Modem;
  }

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

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.log.debug(`docker ${what}`);
    try {
      return await fn();
    } catch (err) {
      throw mapDockerError(what, err, describeEndpoint(this.endpoint));
    }
  }

  /** `call`, with a missing object (404, or `gone` in the message) as undefined. */
  private async unlessAbsent<T>(what: string, fn: () => Promise<T>, gone?: RegExp): Promise<T | undefined> {
    try {
      return await this.call(what, fn);
    } catch (err) {
      const cause = err instanceof Error ? err.cause : undefined;
      if (isNotFound(cause) || gone?.test(errorMessage(err))) return undefined;
      throw err;
    }
  }

  info(): Promise<DaemonInfo> {
    return this.call('info', () => this.api.info() as Promise<DaemonInfo>);
  }

  /** `docker image inspect`, or undefined when the image is not present. */
  inspectImage(ref: string): Promise<Docker.ImageInspectInfo | undefined> {
    return this.unlessAbsent(`inspect image ${ref}`, () => this.api.getImage(ref).inspect());
  }

  async imageExists(ref: string): Promise<boolean> {
    return (await this.inspectImage(ref)) !== undefined;
  }

  /** The local image id (sha256:…) of `ref`, or undefined when it is not present. */
  async imageId(ref: string): Promise<string | undefined> {
    return (await this.inspectImage(ref))?.Id;
  }

  /** Pull once, no retry loop: a missing image fails at once. `auth` goes in a header only. */
  async pull(ref: string, signal?: AbortSignal, auth?: RegistryAuth): Promise<void> {
    throwIfAborted(signal);
    const stream = await this.call(`pull ${ref}`, () => pullStream(this.api, ref, auth));
    await followPull(this.modem, this.bound, stream, ref, this.log, signal);
    this.log.info(`pulled ${ref}`);
  }

  /** Registry calls through the daemon: distribution, tag, push. */
  registry(): RegistryCalls {
    return registryCalls(this.api, this.modem, this.bound, this.log);
  }

  /** `docker save`, `load`, `import` and `export`. */
  images(): ImageTransfer {
    return imageTransfer(this.api, this.modem, this.bound);
  }

  /** `docker build` of the files `entries` of `dir`; every event of the build. */
  async buildImage(
    dir: string,
    entries: string[],
    opts: { tag: string; labels: Record<string, string>; platform?: string },
    onEvent: (event: ProgressEvent) => void,
  ): Promise<ProgressEvent[]> {
    const what = `build ${opts.tag}`;
    const build = {
      t: opts.tag,
      labels: opts.labels,
      rm: true,
      forcerm: true,
      ...(opts.platform ? { platform: opts.platform } : {}),
    };
    const stream = await this.call(what, () => this.api.buildImage({ context: dir, src: entries }, build));
    return this.call(what, () => followProgress(this.modem, stream, onEvent));
  }

  /** Remove an image by reference; absent is fine. */
  async removeImage(ref: string): Promise<void> {
    await this.unlessAbsent(`remove image ${ref}`, () => this.api.getImage(ref).remove({ force: true }));
  }

  /** Create a container; resolves to its id. */
  async createContainer(options: CreateOptions): Promise<string> {
    const what = `create ${options.name ?? options.Image ?? 'container'}`;
    return (await this.call(what, () => this.api.createContainer(options))).id;
  }

  async startContainer(id: string): Promise<void> {
    await this.call(`start ${id.slice(0, 12)}`, () => this.api.getContainer(id).start());
  }

  /** Extract a tar stream into the container at `path` (which must exist). */
  async putArchive(id: string, tar: NodeJS.ReadableStream, path: string): Promise<void> {
    await this.call(`copy into ${id.slice(0, 12)}`, () =>
      this.api.getContainer(id).putArchive(tar, { path }),
    );
  }

  /** `docker cp` out: `path` in the container as a tar stream (a link as a link); absent → undefined. */
  getArchive(id: string, path: string): Promise<NodeJS.ReadableStream | undefined> {
    return this.unlessAbsent(`copy ${path} out`, () => this.api.getContainer(id).getArchive({ path }));
  }

  /** `docker commit` as `repo:tag` with Dockerfile `changes`. */
  async commitContainer(id: string, opts: { repo: string; tag: string; changes: string[] }): Promise<void> {
    await this.call(`commit ${opts.repo}:${opts.tag}`, () => this.api.getContainer(id).commit(opts));
  }

  /** Wait for the container to exit; its exit code. */
  async waitContainer(id: string): Promise<number> {
    const res = await this.call(`wait ${id.slice(0, 12)}`, () => this.api.getContainer(id).wait());
    return (res as { StatusCode: number }).StatusCode;
  }

  async killContainer(id: string): Promise<void> {
    await this.call(`kill ${id.slice(0, 12)}`, () => this.api.getContainer(id).kill());
  }

  /** `docker stop`: SIGTERM, then SIGKILL after `seconds`. */
  async stopContainer(id: string, seconds: number): Promise<void> {
    await this.call(`stop ${id.slice(0, 12)}`, () => this.api.getContainer(id).stop({ t: seconds }));
  }

  /** Run a command (argv, no shell); stdout and stderr together, within `timeoutMs`; `stdin` written and closed. */
  exec(id: string, cmd: string[], opts: { timeoutMs: number; stdin?: string }): Promise<ExecOutput> {
    return execCollect(this.api.getContainer(id), this.modem, this.bound, cmd, opts);
  }

  async inspectContainer(id: string): Promise<ContainerInfo | undefined> {
    return this.unlessAbsent(`inspect container ${id.slice(0, 12)}`, () =>
      this.api.getContainer(id).inspect(),
    );
  }

  listContainers(filters: Record<string, string[]>): Promise<ContainerSummary[]> {
    return this.call('list containers', () => this.api.listContainers({ all: true, filters }));
  }

  /** Remove a container and its anonymous volumes; absent is fine. */
  async removeContainer(id: string): Promise<void> {
    await this.unlessAbsent(
      `remove container ${id.slice(0, 12)}`,
      () => this.api.getContainer(id).remove({ force: true, v: true }),
      /removal of container .* is already in progress/i,
    );
  }

  async listVolumes(filters: Record<string, string[]>): Promise<string[]> {
    return ((await this.call('list volumes', () => this.api.listVolumes({ filters }))).Volumes ?? []).map(
      (v) => v.Name,
    );
  }

  async removeVolume(name: string): Promise<void> {
    await this.unlessAbsent(`remove volume ${name}`, () => this.api.getVolume(name).remove());
  }

  async listNetworks(filters: Record<string, string[]>): Promise<string[]> {
    return (await this.call('list networks', () => this.api.listNetworks({ filters }))).map((n) => n.Id);
  }

  async removeNetwork(id: string): Promise<void> {
    await this.unlessAbsent(`remove network ${id}`, () => this.api.getNetwork(id).remove());
  }

  async logs(id: string, tail: number | 'all'): Promise<string> {
    const base = { stdout: true, stderr: true, follow: false as const };
    const options = tail === 'all' ? base : { ...base, tail };
    const buf = await this.call(`logs ${id.slice(0, 12)}`, () => this.api.getContainer(id).logs(options));
    const text = demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)));
    return tail === 'all' ? text : lastLines(text, tail);
  }

  /** Follow the container's log lines until `stop`; `done` settles at the end, rejects when not followed. */
  followLogs(id: string, onLine: (line: string) => void): { stop(): void; done: Promise<void> } {
    return followLines(this.api.getContainer(id), this.modem, this.bound, onLine);
  }
}
