import { randomBytes } from 'node:crypto';
import { NODE_PORT } from '../cluster/ports.js';
import type { PrivilegeChoice } from '../cluster/privilege.js';
import { expiryFor } from '../cluster/reap.js';
import type { UpResult } from '../cluster/up.js';
import { errorMessage, InterruptedError, ReadinessTimeoutError, throwIfAborted } from '../errors.js';
import { writeKubeconfig } from '../kubeconfig/file.js';
import { rewriteKubeconfig } from '../kubeconfig/rewrite.js';
import type { Logger } from '../logger.js';
import { contextName } from '../names.js';
import { type ClusterOptions, clusterOptionsEnv } from '../options/cluster-options.js';
import { systemClock } from '../ready/clock.js';
import { explainTimeout, type WaitTarget } from '../ready/node-phases.js';
import { parseNodeStatus } from '../ready/node-status.js';
import { FatalProbeError, type PhaseTimings, round, waitForPhases } from '../ready/wait.js';
import { type NodeAccess, type PodEndpoints, podAccess } from './access.js';
import type { HostCluster } from './client.js';
import { removeFromHost } from './down.js';
import { isStatus } from './errors.js';
import type { ForwarderRecords } from './forwarder-records.js';
import { nodeService, podName, serviceNames } from './pod-spec.js';
import { podOutcome } from './pod-state.js';
import { type PodRef, PodRunningProbe, podPhases } from './probes.js';
import { reapExpiredPods } from './reap.js';
import { failureError, namespaceRefusal, refuseTakenPodName, startPod } from './start.js';

export interface PodUpOptions {
  name: string;
  namespace: string;
  /** A node image reference the host cluster can pull. */
  image: string;
  timeoutMs: number;
  waitFor: WaitTarget;
  ttlMs: number;
  kubeconfigPath: string;
  mergeKubeconfig: boolean;
  clusterOptions?: ClusterOptions | undefined;
  privilege: PrivilegeChoice;
  retainOnFailure: boolean;
  /** How the kubeconfig, DOCKER_HOST and the config URL reach the node from where `up` runs. */
  access: NodeAccess;
  /** This machine's forwarder records, so a failed `up` stops the forwarder it started. */
  records?: ForwarderRecords | undefined;
  signal: AbortSignal;
}

export interface PodUpResult extends UpResult {
  namespace: string;
  pod: string;
  /** `service` (up runs in the host cluster) or `port-forward` (a detached forwarder on this machine). */
  access: NodeAccess['kind'];
  /** The node's API through its Service, for pods in the host cluster. */
  serviceApiServer: string;
}

/** Run the node as a pod (and a Service) on the host cluster and wait for it; on failure remove what this call made. */
export async function upOnHost(host: HostCluster, opts: PodUpOptions, log: Logger): Promise<PodUpResult> {
  const started = systemClock.now();
  const deadline = started + opts.timeoutMs;
  const { namespace, name } = opts;
  const ns = await host.readNamespace(namespace).catch((err: unknown) => {
    // Reading a namespace is cluster-scoped: without that right, admission speaks for it.
    if (isStatus(err, 403)) return { metadata: { name: namespace } };
    throw err;
  });
  const refusal = namespaceRefusal(namespace, ns);
  if (refusal) throw refusal;
  // Expired clusters go first, so an expired one no longer holds its name.
  await reapExpiredPods(host, namespace, Math.floor(Date.now() / 1000), log);
  await refuseTakenPodName(host, namespace, name);
  throwIfAborted(opts.signal);
  const session = randomBytes(6).toString('hex');
  const pod: PodRef = { namespace, name: podName(name) };
  const phases: PhaseTimings = {};
  let made = false;
  let access: PodEndpoints | undefined;
  try {
    made = true;
    const svc = await host.call(`create service ${namespace}/${pod.name}`, (api) =>
      api.createNamespacedService({ namespace, body: nodeService({ cluster: name, session, namespace }) }),
    );
    const env = {
      KIND_EXTRA_SANS: serviceNames(name, namespace, svc.spec?.clusterIP).join(','),
      ...clusterOptionsEnv(opts.clusterOptions),
    };
    const spec = {
      cluster: name,
      session,
      namespace,
      image: opts.image,
      env,
      expiresAt: expiryFor(Date.now(), opts.ttlMs),
      kubeconfig: opts.kubeconfigPath,
    };
    const t = systemClock.now();
    const mode = await startPod(host, spec, opts.privilege, deadline, opts.signal, log);
    phases.start = round((systemClock.now() - t) / 1000);
    const podStarted = systemClock.now();
    log.info(`waiting for pod ${namespace}/${pod.name} (timeout ${Math.round(opts.timeoutMs / 1000)}s)`);
    const waited = await waitThroughProxy(host, pod, opts.waitFor, deadline, opts.signal, log);
    Object.assign(phases, waited.timings);
    access = await podAccess(opts.access, name, namespace, pod);
    if (waited.config !== undefined) {
      const cfg = rewriteKubeconfig(waited.config, access.apiServer, contextName(name));
      await writeKubeconfig(opts.kubeconfigPath, cfg, opts.mergeKubeconfig);
      log.info(
        `cluster "${name}" is ready; kubeconfig: ${opts.kubeconfigPath} (API through ${opts.access.kind})`,
      );
    } else {
      log.info(`cluster "${name}": waited for ${opts.waitFor}; Kubernetes goes on booting`);
    }
    const current = await host.readPod(namespace, pod.name);
    const containerId = current?.status?.containerStatuses?.[0]?.containerID ?? current?.metadata?.uid ?? '';
    return {
      name,
      containerId,
      kubeconfig: opts.kubeconfigPath,
      waitedFor: opts.waitFor,
      apiServer: access.apiServer,
      dockerHost: access.dockerHost,
      configUrl: `${access.readyUrl}/config`,
      readySeconds: round((systemClock.now() - podStarted) / 1000),
      phases: { ...phases, total: round((systemClock.now() - started) / 1000) },
      privilege: mode,
      namespace,
      pod: pod.name,
      access: opts.access.kind,
      serviceApiServer: access.serviceApiServer,
    };
  } catch (err) {
    if (made) await cleanupAfterFailure(host, opts, err, log);
    throw err;
  }
}

async function waitThroughProxy(
  host: HostCluster,
  pod: PodRef,
  target: WaitTarget,
  deadline: number,
  signal: AbortSignal,
  log: Logger,
): Promise<{ timings: PhaseTimings; config: string | undefined }> {
  try {
    const { timings, values } = await waitForPhases(podPhases(host, pod, target), {
      deadline,
      signal,
      guards: [new PodRunningProbe(host, pod)],
      guardIntervalMs: 1000,
      onPending: (reason) => log.debug(`not ready: ${reason}`),
    });
    return { timings, config: target === 'kubernetes' ? String(values[2]) : undefined };
  } catch (err) {
    if (err instanceof ReadinessTimeoutError) throw await explainPodTimeout(host, pod, err);
    if (!(err instanceof FatalProbeError)) throw err;
    const outcome = podOutcome(await host.readPod(pod.namespace, pod.name));
    if (outcome.state !== 'failed') throw err;
    throw await failureError(host, pod, outcome);
  }
}

async function cleanupAfterFailure(
  host: HostCluster,
  opts: PodUpOptions,
  err: unknown,
  log: Logger,
): Promise<void> {
  const interrupted = err instanceof InterruptedError;
  if (opts.retainOnFailure && !interrupted) {
    log.warn(
      `keeping the failed node's pod as asked; remove it with: kind-action down --name ${opts.name} ` +
        `--host-kubeconfig FILE --namespace ${opts.namespace}`,
    );
    return;
  }
  try {
    await removeFromHost(host, opts.namespace, opts.name, log, {
      quiet: true,
      ...(opts.records ? { records: opts.records } : {}),
    });
    log.info(`removed the node's pod and service from namespace ${opts.namespace}`);
  } catch (cleanupErr) {
    log.warn(
      `could not remove the node's pod: ${errorMessage(cleanupErr)}; run: kind-action down --name ${opts.name} ` +
        `--host-kubeconfig FILE --namespace ${opts.namespace}`,
    );
  }
}

/** A timeout, with the node's failing readiness check and components not ready (its /status), as on Docker. */
async function explainPodTimeout(host: HostCluster, pod: PodRef, err: ReadinessTimeoutError): Promise<Error> {
  const res = await host.proxyGet(pod.namespace, pod.name, NODE_PORT.ready, 'status').catch(() => undefined);
  return explainTimeout(err, res?.status === 200 ? parseNodeStatus(res.body) : undefined);
}
