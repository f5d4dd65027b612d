import { readFile } from 'node:fs/promises';
import {
  type ConfigurationOptions,
  CoreV1Api,
  type CoreV1Event,
  KubeConfig,
  Observable,
  type ObservableMiddleware,
  type V1Namespace,
  type V1Pod,
  type V1Service,
} from '@kubernetes/client-node';
import { HostClusterUnreachableError, KindActionError } from '../errors.js';
import type { Logger } from '../logger.js';
import { apiError, isStatus } from './errors.js';

/**
 * The one door to the host cluster (`--host-kubeconfig`): every call is
 * logged at debug level and its failure turned into a named error.
 */
export class HostCluster {
  private constructor(
    readonly kubeconfig: KubeConfig,
    readonly server: string,
    /** The namespace of the kubeconfig's current context, if it names one. */
    readonly contextNamespace: string | undefined,
    private readonly core: CoreV1Api,
    private readonly log: Logger,
  ) {}

  /** Load the kubeconfig file; a missing or unusable file is a HostClusterUnreachableError. */
  static async load(file: string, log: Logger): Promise<HostCluster> {
    const kc = new KubeConfig();
    try {
      kc.loadFromString(await readFile(file, 'utf8'));
    } catch (err) {
      throw new HostClusterUnreachableError(`${file}: ${reason(err)}`, {
        field: 'host-kubeconfig',
        cause: err,
      });
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) {
      throw new HostClusterUnreachableError(`${file}: its current context names no cluster`, {
        field: 'host-kubeconfig',
      });
    }
    const ctx = kc.getContextObject(kc.getCurrentContext());
    return new HostCluster(kc, cluster.server, ctx?.namespace || undefined, kc.makeApiClient(CoreV1Api), log);
  }

  /** Run one API call: logged, and its failure named. */
  async call<T>(what: string, fn: (api: CoreV1Api) => Promise<T>): Promise<T> {
    this.log.debug(`host cluster: ${what}`);
    try {
      return await fn(this.core);
    } catch (err) {
      throw apiError(what, err, this.server);
    }
  }

  /** A call whose 404 means "absent": undefined instead of an error. */
  async find<T>(what: string, fn: (api: CoreV1Api) => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(what, fn);
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  /**
   * Read the namespace, the first call of `up`: it also proves the API server
   * answers, within `timeoutMs` (a black-holed address would hang otherwise).
   */
  async readNamespace(name: string, timeoutMs = 15_000): Promise<V1Namespace | undefined> {
    const unreachable = new HostClusterUnreachableError(
      `no answer from the host cluster's API server at ${this.server} within ${timeoutMs / 1000}s`,
      { field: 'host-kubeconfig' },
    );
    return within(
      timeoutMs,
      this.find(`read namespace ${name}`, (api) => api.readNamespace({ name })),
      unreachable,
    );
  }

  readPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    return this.find(`read pod ${namespace}/${name}`, (api) => api.readNamespacedPod({ namespace, name }));
  }

  async listPods(namespace: string, labelSelector: string): Promise<V1Pod[]> {
    const list = await this.call(`list pods in ${namespace} (${labelSelector})`, (api) =>
      api.listNamespacedPod({ namespace, labelSelector }),
    );
    return list.items;
  }

  async listServices(namespace: string, labelSelector: string): Promise<V1Service[]> {
    const list = await this.call(`list services in ${namespace} (${labelSelector})`, (api) =>
      api.listNamespacedService({ namespace, labelSelector }),
    );
    return list.items;
  }

  /** The pod's events, oldest first. */
  async podEvents(namespace: string, pod: string): Promise<CoreV1Event[]> {
    const list = await this.call(`list events of pod ${namespace}/${pod}`, (api) =>
      api.listNamespacedEvent({
        namespace,
        fieldSelector: `involvedObject.kind=Pod,involvedObject.name=${pod}`,
      }),
    );
    const at = (e: CoreV1Event): number =>
      new Date(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? 0).getTime();
    return [...list.items].sort((a, b) => at(a) - at(b));
  }

  /**
   * GET a path of a pod's port through the API server's pod proxy: the
   * status code and the body (a 503 from the node carries its reason).
   */
  async proxyGet(
    namespace: string,
    pod: string,
    port: number,
    path: string,
  ): Promise<{ status: number; body: string }> {
    try {
      // One hung request must not eat the wait's deadline (as HttpProbe's per-request timeout).
      const body = await within(
        PROXY_TIMEOUT_MS,
        this.core.connectGetNamespacedPodProxyWithPath(
          { namespace, name: `${pod}:${port}`, path },
          TEXT_OPTIONS,
        ),
        new Error(`no answer within ${PROXY_TIMEOUT_MS / 1000}s`),
      );
      return { status: 200, body: String(body) };
    } catch (err) {
      const status = (err as { code?: unknown }).code;
      if (typeof status === 'number' && status >= 300) return { status, body: proxiedBody(err) };
      throw apiError(`GET ${pod}:${port}/${path} through the pod proxy`, err, this.server);
    }
  }

  /** The node container's log (the last `tail` lines). */
  podLog(namespace: string, pod: string, container: string, tail: number | 'all'): Promise<string> {
    return this.call(`read the log of ${namespace}/${pod}`, (api) =>
      api.readNamespacedPodLog({
        namespace,
        name: pod,
        container,
        ...(tail === 'all' ? {} : { tailLines: tail }),
      }),
    );
  }
}

/**
 * The node answers in its own types (`/config` is application/yaml, `/status`
 * JSON), which the generated client would parse or refuse: take every answer
 * as the text it is.
 */
const AS_TEXT: ObservableMiddleware = {
  pre: (request) => new Observable(Promise.resolve(request)),
  post: (response) => {
    response.headers['content-type'] = 'text/plain';
    return new Observable(Promise.resolve(response));
  },
};
const TEXT_OPTIONS: ConfigurationOptions = { middleware: [AS_TEXT], middlewareMergeStrategy: 'append' };

const PROXY_TIMEOUT_MS = 5000;

/** `work`, or `late` once `ms` have passed without its answer. */
async function within<T>(ms: number, work: Promise<T>, late: Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late), ms);
  });
  try {
    return await Promise.race([work, silent]);
  } finally {
    clearTimeout(timer);
  }
}

/** The text the node (or the API server) answered, out of the generated client's exception. */
function proxiedBody(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  const text = typeof body === 'string' ? body : body === undefined ? '' : JSON.stringify(body);
  // The generated client wraps unknown status codes as "HTTP-Code: N\nMessage: …\nBody: <text>\nHeaders: …".
  const inner = /Body: ([\s\S]*?)(?:\nHeaders:|$)/.exec(text)?.[1] ?? text;
  try {
    const status = JSON.parse(inner) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    /* the node's own plain-text reason */
  }
  return inner.replace(/^"|"$/g, '');
}

function reason(err: unknown): string {
  if (err instanceof KindActionError) return err.detail;
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  return e.message ?? String(err);
}
