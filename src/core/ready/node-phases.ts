import { ReadinessTimeoutError } from '../errors.js';
import { HttpProbe } from './http-probe.js';
import { componentsNotReady, failingCheck, fetchNodeStatus, type NodeStatus } from './node-status.js';
import { type Phase, type PhaseTimings, type WaitOptions, waitForPhases } from './wait.js';

/** How far a start waits: the whole cluster, the node's Docker only, or not at all. */
export const WAIT_TARGETS = ['kubernetes', 'docker', 'none'] as const;
export type WaitTarget = (typeof WAIT_TARGETS)[number];

/** The node's readiness endpoints to pass, in order, to reach `target`. */
export function nodePhases(readyUrl: string, target: WaitTarget): Phase[] {
  const docker = { name: 'docker-ready', probe: new HttpProbe('docker-ready', `${readyUrl}/docker-ready`) };
  if (target === 'none') return [];
  if (target === 'docker') return [docker];
  return [
    docker,
    { name: 'kubernetes-ready', probe: new HttpProbe('kubernetes-ready', `${readyUrl}/kubernetes-ready`) },
    { name: 'kubeconfig', probe: new HttpProbe('config', `${readyUrl}/config`) },
  ];
}

/** A readiness wait that ran out of time, with the node's failing check named. */
export class ReadinessCheckError extends ReadinessTimeoutError {
  constructor(
    message: string,
    readonly check: string,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/**
 * Wait through `target`'s phases; the kubeconfig text when the target is
 * Kubernetes. A timeout is explained from the node's /status: which
 * readiness check fails and which components are not ready.
 */
export async function waitForNode(
  readyUrl: string,
  target: WaitTarget,
  opts: WaitOptions,
): Promise<{ timings: PhaseTimings; config: string | undefined }> {
  try {
    const { timings, values } = await waitForPhases(nodePhases(readyUrl, target), opts);
    return { timings, config: target === 'kubernetes' ? String(values[2]) : undefined };
  } catch (err) {
    if (!(err instanceof ReadinessTimeoutError)) throw err;
    throw explainTimeout(err, await fetchNodeStatus(readyUrl));
  }
}

/**
 * A readiness timeout with what the node's /status says of it (its failing
 * check and the components not ready), or the timeout as it was when the
 * status could not be read or names no failing check.
 */
export function explainTimeout(err: ReadinessTimeoutError, status: NodeStatus | undefined): Error {
  const failing = status && failingCheck(status);
  if (!status || !failing) return err;
  const components = componentsNotReady(status);
  const notReady = components.length ? `; components not ready: ${components.join(', ')}` : '';
  return new ReadinessCheckError(
    `${err.message}; failing readiness check: ${failing.check} (${failing.reason})${notReady}`,
    failing.check,
    err,
  );
}
