import type { CoreV1Event, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { NODE_CONTAINER } from './pod-spec.js';

/** Where the node's pod is on its way to running, read from its status. */
export type PodOutcome =
  | { state: 'running' }
  | { state: 'pending'; reason: string }
  | { state: 'failed'; kind: FailureKind; reason: string; message: string };

/**
 * Why a pod cannot go on: its image cannot be pulled, the runtime refused the
 * privileges (`caps`: the fallback may still work), its container could not
 * be created or exited, or the pod is gone.
 */
export type FailureKind = 'image' | 'caps' | 'start' | 'exited' | 'gone';

/** Waiting reasons that waiting longer does not cure. */
const IMAGE_REASONS = new Set([
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'RegistryUnavailable',
]);
const START_REASONS = new Set([
  'CreateContainerError',
  'CreateContainerConfigError',
  'RunContainerError',
  'CrashLoopBackOff',
  'PreStartHookError',
]);
const CAPS = /unable to apply caps|apply caps|operation not permitted.*cap/i;

/** Pure: what the pod's status says about the node container. */
export function podOutcome(pod: V1Pod | undefined): PodOutcome {
  if (!pod) return failed('gone', 'Deleted', 'the pod was deleted');
  const status = pod.status ?? {};
  const container = (status.containerStatuses ?? []).find((c) => c.name === NODE_CONTAINER);
  if (container) {
    const outcome = containerOutcome(container);
    if (outcome) return outcome;
  }
  if (status.phase === 'Failed' || status.phase === 'Succeeded') {
    return failed('exited', status.reason ?? status.phase, status.message ?? `the pod is ${status.phase}`);
  }
  const scheduled = (status.conditions ?? []).find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False') {
    return {
      state: 'pending',
      reason: `not scheduled: ${scheduled.reason ?? ''} ${scheduled.message ?? ''}`.trim(),
    };
  }
  const waiting = container?.state?.waiting;
  return { state: 'pending', reason: waiting?.reason ?? status.phase ?? 'Pending' };
}

function containerOutcome(c: V1ContainerStatus): PodOutcome | undefined {
  if (c.state?.running) return { state: 'running' };
  const waiting = c.state?.waiting;
  const reason = waiting?.reason ?? '';
  const message = waiting?.message ?? '';
  if (IMAGE_REASONS.has(reason)) return failed('image', reason, message);
  if (START_REASONS.has(reason)) {
    // A crash loop's cause is in the last run's termination.
    const last = c.lastState?.terminated;
    const text = message || last?.message || '';
    return failed(CAPS.test(text) ? 'caps' : 'start', reason, text || `exit code ${last?.exitCode ?? '?'}`);
  }
  const ended = c.state?.terminated;
  if (ended) {
    const text = ended.message ?? '';
    const kind = CAPS.test(text) ? 'caps' : ended.reason === 'StartError' ? 'start' : 'exited';
    return failed(kind, ended.reason ?? 'Terminated', text || `exit code ${ended.exitCode}`);
  }
  return undefined;
}

function failed(kind: FailureKind, reason: string, message: string): PodOutcome {
  return { state: 'failed', kind, reason, message };
}

/**
 * Pure: the event that explains a failure, newest first: for an image the
 * kubelet's "Failed to pull image …", else the last warning.
 */
export function explainingEvent(events: readonly CoreV1Event[], kind: FailureKind): CoreV1Event | undefined {
  const warnings = events.filter((e) => e.type === 'Warning').reverse();
  if (kind === 'image') {
    // The kubelet's own words on the pull, before its later "Error: ImagePullBackOff".
    return (
      warnings.find((e) => /Failed to pull image/i.test(e.message ?? '')) ??
      warnings.find((e) => e.reason === 'Failed')
    );
  }
  return warnings.find((e) => e.reason === 'Failed') ?? warnings[0];
}

/** One line for a failure, quoting the event when there is one. */
export function describeFailure(
  outcome: Extract<PodOutcome, { state: 'failed' }>,
  event?: CoreV1Event,
): string {
  const said = event?.message ? `; event ${event.reason ?? ''}: "${event.message.trim()}"` : '';
  const message =
    outcome.message && !event?.message?.includes(outcome.message) ? ` (${outcome.message})` : '';
  return `${outcome.reason}${message}${said}`;
}
