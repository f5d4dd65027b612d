import { HttpProbe } from './http-probe.js';

/** One condition of the node's GET /status (image/agent/status.schema.json). */
export interface StatusProbe {
  ok: boolean;
  reason?: string;
  readySeconds?: number;
}

/** The part of GET /status the waits read. */
export interface NodeStatus {
  startedAt: string;
  uptimeSeconds: number;
  docker: StatusProbe;
  kubernetes: StatusProbe;
  checks: Record<string, StatusProbe>;
  components: Record<string, StatusProbe & { state?: string; restarts?: number }>;
}

/** The node's /status, or undefined when it does not answer with one. */
export async function fetchNodeStatus(readyUrl: string, timeoutMs = 3000): Promise<NodeStatus | undefined> {
  const res = await new HttpProbe('status', `${readyUrl}/status`).check(AbortSignal.timeout(timeoutMs));
  return res.ok ? parseNodeStatus(res.value) : undefined;
}

/** The node's /status from its text, or undefined when it is not one. */
export function parseNodeStatus(text: string): NodeStatus | undefined {
  try {
    const doc = JSON.parse(text) as Partial<NodeStatus>;
    if (typeof doc.uptimeSeconds !== 'number' || !doc.docker || !doc.kubernetes) return undefined;
    return { startedAt: '', checks: {}, components: {}, ...doc } as NodeStatus;
  } catch {
    return undefined;
  }
}

/** The readiness condition that holds things up, and why. */
export interface FailingCheck {
  check: string;
  reason: string;
}

/**
 * The first readiness check that fails. The node runs its checks in order
 * and marks the ones after a failure with that failure's reason, which starts
 * with the failing check's name; so the failing one is the check whose
 * reason names itself. Docker not answering comes first of all.
 */
export function failingCheck(status: NodeStatus): FailingCheck | undefined {
  if (!status.docker.ok) return { check: 'docker', reason: status.docker.reason ?? 'not ready' };
  const failing = Object.entries(status.checks).filter(([, p]) => !p.ok);
  const own = failing.find(([name, p]) => p.reason?.startsWith(`${name}:`)) ?? failing[0];
  if (own) return { check: own[0], reason: own[1].reason ?? 'not ready' };
  if (!status.kubernetes.ok) {
    const reason = status.kubernetes.reason ?? 'not ready';
    return { check: /^([\w.-]+):/.exec(reason)?.[1] ?? 'kubernetes', reason };
  }
  return undefined;
}

/** `name (reason)` for every component the node reports as not ok. */
export function componentsNotReady(status: NodeStatus): string[] {
  return Object.entries(status.components)
    .filter(([, c]) => !c.ok)
    .map(([name, c]) => `${name} (${c.state ?? 'unknown'}${c.reason ? `: ${c.reason}` : ''})`);
}

/**
 * Where a later wait fell in the node's boot, in seconds of the node's
 * uptime: when the wait began, and when Docker and Kubernetes first answered.
 */
export interface BootTimeline {
  waitStartedAt: number;
  dockerReadyAt: number | undefined;
  kubernetesReadyAt: number | undefined;
}

export function bootTimeline(before: NodeStatus, after: NodeStatus | undefined): BootTimeline {
  const last = after ?? before;
  return {
    waitStartedAt: before.uptimeSeconds,
    dockerReadyAt: last.docker.readySeconds,
    kubernetesReadyAt: last.kubernetes.readySeconds,
  };
}
