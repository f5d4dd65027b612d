import type { V1Namespace } from '@kubernetes/client-node';
import type { PrivilegeMode } from '../cluster/create-options.js';
import type { PrivilegeChoice } from '../cluster/privilege.js';
import {
  HostClusterApiError,
  NamespaceNotFoundError,
  NameTakenError,
  PodImageError,
  PodSecurityError,
  PodStartError,
} from '../errors.js';
import type { Logger } from '../logger.js';
import { systemClock } from '../ready/clock.js';
import { waitFor } from '../ready/wait.js';
import type { HostCluster } from './client.js';
import { isStatus, podSecurityAdvice } from './errors.js';
import { NODE_CONTAINER, nodePod, type PodNodeSpec, podName } from './pod-spec.js';
import { describeFailure, explainingEvent, type PodOutcome } from './pod-state.js';
import { type PodRef, PodSettledProbe } from './probes.js';

export const ENFORCE_LABEL = 'pod-security.kubernetes.io/enforce';
const LOG_TAIL = 50;
/** A refusal about the privileges asked for (not, say, a missing service account). */
const ABOUT_PRIVILEGE = /privileged|capabilit|securityContext|seccomp|apparmor/i;

/**
 * Pure: why the namespace refuses the node before anything is created: it is
 * missing, or its Pod Security `enforce` level is not `privileged`.
 */
export function namespaceRefusal(name: string, ns: V1Namespace | undefined): Error | undefined {
  if (!ns) {
    return new NamespaceNotFoundError(`namespace "${name}" does not exist on the host cluster`, {
      field: 'namespace',
    });
  }
  const level = ns.metadata?.labels?.[ENFORCE_LABEL];
  if (level !== undefined && level !== 'privileged') {
    return new PodSecurityError(
      podSecurityAdvice(
        `namespace "${name}" enforces Pod Security level "${level}" (label ${ENFORCE_LABEL})`,
        name,
      ),
      { field: 'namespace' },
    );
  }
  return undefined;
}

/** Refuse a name a cluster in the namespace already holds (its pod or its Service). */
export async function refuseTakenPodName(
  host: HostCluster,
  namespace: string,
  cluster: string,
): Promise<void> {
  const name = podName(cluster);
  const [pod, svc] = await Promise.all([
    host.readPod(namespace, name),
    host.find(`read service ${namespace}/${name}`, (api) => api.readNamespacedService({ namespace, name })),
  ]);
  if (!pod && !svc) return;
  throw new NameTakenError(
    `a cluster named "${cluster}" already exists in namespace ${namespace} of the host cluster ` +
      `(${pod ? 'pod' : 'service'} ${name}); choose another name, or remove it with: ` +
      `kind-action down --name ${cluster} --host-kubeconfig FILE --namespace ${namespace}`,
    { field: 'name' },
  );
}

/**
 * Create the node's pod and wait until its container runs: privileged first;
 * when the runtime cannot grant every capability (or an admission policy other
 * than Pod Security refuses privileged), delete it and use the fallback.
 * The caller removes what it made by label, so nothing needs tracking here.
 */
export async function startPod(
  host: HostCluster,
  spec: Omit<PodNodeSpec, 'privilege'>,
  choice: PrivilegeChoice,
  deadline: number,
  signal: AbortSignal,
  log: Logger,
): Promise<PrivilegeMode> {
  const first: PrivilegeMode = choice === 'auto' ? 'privileged' : choice;
  const pod = { namespace: spec.namespace, name: podName(spec.cluster) };
  const outcome = await tryMode(
    host,
    { ...spec, privilege: first },
    pod,
    deadline,
    signal,
    choice === 'auto',
  );
  if (outcome.state === 'running') {
    log.info(`node pod ${pod.name} runs in ${first} mode`);
    return first;
  }
  log.info(`the host cluster refused a privileged pod (${outcome.message}); using the capability fallback`);
  await deletePodAndWait(host, pod, deadline, signal);
  const second = await tryMode(host, { ...spec, privilege: 'fallback' }, pod, deadline, signal, false);
  if (second.state !== 'running') throw await failureError(host, pod, second);
  log.info('node pod runs in fallback mode (all capabilities but SYS_RESOURCE, unconfined seccomp/AppArmor)');
  return 'fallback';
}

type Settled = Exclude<PodOutcome, { state: 'pending' }>;

/** Create the pod in one mode; a refusal the fallback may cure comes back as a `caps` failure. */
async function tryMode(
  host: HostCluster,
  spec: PodNodeSpec,
  pod: PodRef,
  deadline: number,
  signal: AbortSignal,
  mayFallBack: boolean,
): Promise<Settled> {
  try {
    await host.call(`create pod ${pod.namespace}/${pod.name}`, (api) =>
      api.createNamespacedPod({ namespace: pod.namespace, body: nodePod(spec) }),
    );
  } catch (err) {
    if (err instanceof PodSecurityError) {
      throw new PodSecurityError(podSecurityAdvice(err.detail.split(';')[0] ?? '', pod.namespace), {
        field: 'namespace',
        cause: err,
      });
    }
    // Another admission policy (a webhook, 403) or an API server started without
    // --allow-privileged (422 "disallowed by cluster policy") refusing privileged:
    // the fallback asks for less.
    const refused = isStatus(err, 403) || isStatus(err, 422);
    if (mayFallBack && err instanceof HostClusterApiError && refused && ABOUT_PRIVILEGE.test(err.detail)) {
      return { state: 'failed', kind: 'caps', reason: 'Forbidden', message: err.detail };
    }
    throw err;
  }
  const settled = await waitFor(new PodSettledProbe(host, pod), { deadline, signal });
  if (settled.state === 'failed' && !(mayFallBack && settled.kind === 'caps')) {
    throw await failureError(host, pod, settled);
  }
  return settled;
}

/** The named error for a pod that cannot run, quoting its event and (if it ran) its log. */
export async function failureError(host: HostCluster, pod: PodRef, outcome: Settled): Promise<Error> {
  if (outcome.state === 'running') return new PodStartError(`the node's pod ${pod.name} runs`, 'Running');
  const events = await host.podEvents(pod.namespace, pod.name).catch(() => []);
  const text = describeFailure(outcome, explainingEvent(events, outcome.kind));
  const where = `the node's pod ${pod.namespace}/${pod.name}`;
  if (outcome.kind === 'image') {
    return new PodImageError(`${where} cannot start: the host cluster cannot pull its image: ${text}`);
  }
  const tail =
    outcome.kind === 'exited'
      ? await host.podLog(pod.namespace, pod.name, NODE_CONTAINER, LOG_TAIL).catch(() => '')
      : '';
  const verb = outcome.kind === 'exited' ? 'stopped' : outcome.kind === 'gone' ? 'is gone' : 'cannot start';
  return new PodStartError(`${where} ${verb}: ${text}`, outcome.reason, tail);
}

/** Delete the pod at once and wait until its name is free again. */
export async function deletePodAndWait(
  host: HostCluster,
  pod: PodRef,
  deadline: number,
  signal: AbortSignal,
  graceSeconds = 0,
): Promise<void> {
  await host.find(`delete pod ${pod.namespace}/${pod.name}`, (api) =>
    api.deleteNamespacedPod({ namespace: pod.namespace, name: pod.name, gracePeriodSeconds: graceSeconds }),
  );
  while (await host.readPod(pod.namespace, pod.name)) {
    if (systemClock.now() > deadline) return;
    await systemClock.sleep(250, signal);
  }
}
