import { NODE_PORT } from '../cluster/ports.js';
import { errorMessage } from '../errors.js';
import type { WaitTarget } from '../ready/node-phases.js';
import { fatal, notYet, ok, type Probe, type ProbeResult } from '../ready/probe.js';
import type { Phase } from '../ready/wait.js';
import type { HostCluster } from './client.js';
import { type PodOutcome, podOutcome } from './pod-state.js';

/** Where the node's pod is: one namespace, one name. */
export interface PodRef {
  namespace: string;
  name: string;
}

/** Settles once the pod runs or cannot (the outcome is the value); pending meanwhile. */
export class PodSettledProbe implements Probe<Exclude<PodOutcome, { state: 'pending' }>> {
  readonly name = 'pod';
  constructor(
    private readonly host: HostCluster,
    private readonly pod: PodRef,
  ) {}

  async check(): Promise<ProbeResult<Exclude<PodOutcome, { state: 'pending' }>>> {
    const outcome = podOutcome(await this.host.readPod(this.pod.namespace, this.pod.name));
    return outcome.state === 'pending' ? notYet(`pod: ${outcome.reason}`) : ok(outcome);
  }
}

/** A guard: the pod's container runs → ok; it failed or the pod is gone → fatal. */
export class PodRunningProbe implements Probe<true> {
  readonly name = 'pod';
  constructor(
    private readonly host: HostCluster,
    private readonly pod: PodRef,
  ) {}

  async check(): Promise<ProbeResult<true>> {
    const outcome = podOutcome(await this.host.readPod(this.pod.namespace, this.pod.name));
    if (outcome.state === 'failed')
      return fatal(`the node's pod ${this.pod.name}: ${outcome.reason} ${outcome.message}`);
    return ok(true);
  }
}

/**
 * One of the node's readiness endpoints, asked through the API server's pod
 * proxy (`/api/v1/namespaces/NS/pods/NAME:10080/proxy/PATH`): no NodePort,
 * no route to the pod network needed.
 */
export class ProxyProbe implements Probe<string> {
  constructor(
    readonly name: string,
    private readonly host: HostCluster,
    private readonly pod: PodRef,
    private readonly path: string,
  ) {}

  async check(signal: AbortSignal): Promise<ProbeResult<string>> {
    try {
      const res = await this.host.proxyGet(this.pod.namespace, this.pod.name, NODE_PORT.ready, this.path);
      if (res.status === 200) return ok(res.body);
      return notYet(`${this.name}: ${res.body.split('\n')[0]?.trim() || `HTTP ${res.status}`}`);
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      return notYet(`${this.name}: ${errorMessage(err).split('\n')[0]}`);
    }
  }
}

/** The readiness endpoints to pass, in order, to reach `target` (as nodePhases, through the proxy). */
export function podPhases(host: HostCluster, pod: PodRef, target: WaitTarget): Phase[] {
  if (target === 'none') return [];
  const docker = { name: 'docker-ready', probe: new ProxyProbe('docker-ready', host, pod, 'docker-ready') };
  if (target === 'docker') return [docker];
  return [
    docker,
    { name: 'kubernetes-ready', probe: new ProxyProbe('kubernetes-ready', host, pod, 'kubernetes-ready') },
    { name: 'kubeconfig', probe: new ProxyProbe('config', host, pod, 'config') },
  ];
}
