import { createServer, type Server, type Socket } from 'node:net';
import { PortForward } from '@kubernetes/client-node';
import { NODE_PORT } from '../cluster/ports.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { systemClock } from '../ready/clock.js';
import type { ForwardedPorts } from './access.js';
import type { HostCluster } from './client.js';
import type { ForwarderRecords } from './forwarder-records.js';
import type { PodRef } from './probes.js';

/** How often the forwarder looks whether its pod is still there. */
const WATCH_INTERVAL_MS = 2000;
/** How long the host cluster may not answer before the forwarder takes it (and its pod) as gone. */
const SILENCE_MS = 60_000;

/**
 * Listen on 127.0.0.1 (a free port each) for the node's API, readiness server
 * and Docker, and carry each connection to the pod through the API server's
 * port-forward (a WebSocket per connection).
 */
export async function forwardPorts(
  host: HostCluster,
  pod: PodRef,
  log: Logger,
): Promise<{ ports: ForwardedPorts; close: () => Promise<void> }> {
  const pf = new PortForward(host.kubeconfig);
  const servers: Server[] = [];
  const listen = async (target: number): Promise<number> => {
    const server = createServer((socket) => carry(pf, pod, target, socket, log));
    servers.push(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const address = server.address();
    return typeof address === 'object' && address ? address.port : 0;
  };
  const ports = {
    api: await listen(NODE_PORT.api),
    ready: await listen(NODE_PORT.ready),
    docker: await listen(NODE_PORT.docker),
  };
  const close = async (): Promise<void> => {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  };
  return { ports, close };
}

function carry(pf: PortForward, pod: PodRef, target: number, socket: Socket, log: Logger): void {
  socket.on('error', () => socket.destroy());
  pf.portForward(pod.namespace, pod.name, [target], socket, null, socket)
    .then((ws) => {
      const current = typeof ws === 'function' ? ws() : ws;
      socket.on('close', () => current?.close());
      current?.on('close', () => socket.end());
    })
    .catch((err: unknown) => {
      log.warn(`port-forward to ${pod.name}:${target}: ${wsError(err)}`);
      socket.destroy();
    });
}

/**
 * The detached forwarder's life: forward, tell `announce` the ports, record
 * this process for `down`, and end when the pod is gone (deleted by `down`, or
 * by a TTL sweep) or `signal` aborts.
 */
export async function runForwarder(
  host: HostCluster,
  pod: PodRef,
  records: ForwarderRecords,
  pid: number,
  announce: (ports: ForwardedPorts) => void,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const uid = (await host.readPod(pod.namespace, pod.name))?.metadata?.uid;
  if (!uid) throw new Error(`pod ${pod.namespace}/${pod.name} does not exist`);
  const { ports, close } = await forwardPorts(host, pod, log);
  const key = records.key(host.server, pod);
  await records.write(key, { pid, pod: pod.name, namespace: pod.namespace, server: host.server, ports });
  announce(ports);
  let lastAnswer = systemClock.now();
  try {
    while (!signal.aborted) {
      await systemClock.sleep(WATCH_INTERVAL_MS, signal).catch(() => {});
      if (signal.aborted) break;
      // An API error is not a deleted pod, unless the host cluster stays silent
      // (removed with the pod in it): only a pod that is gone, or another one, ends it.
      const now: string | undefined = await host
        .readPod(pod.namespace, pod.name)
        .then((p): string | undefined => {
          lastAnswer = systemClock.now();
          return p?.metadata?.uid;
        })
        .catch((): string | undefined => (systemClock.now() - lastAnswer > SILENCE_MS ? undefined : uid));
      if (now !== uid) {
        log.info(
          `pod ${pod.namespace}/${pod.name} is gone (or its cluster stopped answering); the forwarder ends`,
        );
        break;
      }
    }
  } finally {
    await close();
    await records.remove(key, pid);
  }
}

/** A WebSocket failure comes as an event, not an Error: its message, or its error's. */
function wsError(err: unknown): string {
  const e = err as { message?: unknown; error?: unknown } | undefined;
  if (typeof e?.message === 'string' && e.message) return e.message;
  return e?.error === undefined ? errorMessage(err) : errorMessage(e.error);
}
