import type { ClusterStatus } from '../cluster/status.js';
import { LABEL } from '../labels.js';
import type { HostCluster } from './client.js';
import { labelSelector } from './pod-spec.js';
import { podOutcome } from './pod-state.js';
import { ProxyProbe } from './probes.js';
import { podExpiry } from './reap.js';

export interface PodClusterStatus extends ClusterStatus {
  namespace: string;
  pod: string;
}

/** The clusters running as pods in a namespace, by label; for running ones the node's own readiness. */
export async function statusOnHost(
  host: HostCluster,
  namespace: string,
  cluster?: string,
): Promise<PodClusterStatus[]> {
  const pods = await host.listPods(namespace, labelSelector(cluster));
  return Promise.all(
    pods.map(async (p) => {
      const name = p.metadata?.name ?? '';
      const outcome = podOutcome(p);
      const expires = podExpiry(p);
      const kubeconfig = p.metadata?.annotations?.[LABEL.kubeconfig];
      const base: PodClusterStatus = {
        name: p.metadata?.labels?.[LABEL.cluster] ?? '?',
        containerId: p.status?.containerStatuses?.[0]?.containerID ?? p.metadata?.uid ?? '',
        image: p.spec?.containers[0]?.image ?? '',
        state:
          outcome.state === 'failed'
            ? `${outcome.reason}`
            : outcome.state === 'running'
              ? 'running'
              : 'pending',
        version: p.metadata?.labels?.[LABEL.version] ?? '',
        namespace,
        pod: name,
        ...(expires === undefined ? {} : { expiresAt: new Date(expires * 1000).toISOString() }),
        ...(kubeconfig ? { kubeconfig } : {}),
      };
      if (outcome.state !== 'running') return base;
      const ref = { namespace, name };
      const signal = AbortSignal.timeout(5000);
      const [ready, detail] = await Promise.all([
        new ProxyProbe('kubernetes-ready', host, ref, 'kubernetes-ready').check(signal),
        new ProxyProbe('status', host, ref, 'status').check(signal),
      ]);
      return {
        ...base,
        ready: ready.ok,
        ...(ready.ok ? {} : { reason: ready.reason }),
        ...(detail.ok ? { components: safeJson(detail.value) } : {}),
      };
    }),
  );
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
