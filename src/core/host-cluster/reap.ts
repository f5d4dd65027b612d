import type { V1Pod } from '@kubernetes/client-node';
import { errorMessage } from '../errors.js';
import { LABEL } from '../labels.js';
import type { Logger } from '../logger.js';
import type { HostCluster } from './client.js';
import { removeFromHost } from './down.js';
import { labelSelector } from './pod-spec.js';

/** Pure: a pod's expiry annotation as Unix seconds; undefined when absent or not a number. */
export function podExpiry(pod: Pick<V1Pod, 'metadata'>): number | undefined {
  const raw = pod.metadata?.annotations?.[LABEL.expires];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/**
 * The host cluster's TTL sweep: every `up` in a namespace first removes the
 * clusters there whose expiry annotation has passed. A sweep that fails only
 * warns (it needs list rights that a narrower account may lack).
 */
export async function reapExpiredPods(
  host: HostCluster,
  namespace: string,
  nowSeconds: number,
  log: Logger,
): Promise<string[]> {
  let pods: V1Pod[];
  try {
    pods = await host.listPods(namespace, labelSelector());
  } catch (err) {
    log.warn(`could not look for expired clusters in namespace ${namespace}: ${errorMessage(err)}`);
    return [];
  }
  const expired = pods
    .filter((p) => {
      const at = podExpiry(p);
      return at !== undefined && at <= nowSeconds;
    })
    .map((p) => p.metadata?.labels?.[LABEL.cluster])
    .filter((c): c is string => c !== undefined);
  for (const name of [...new Set(expired)]) {
    try {
      log.info(`cluster "${name}" in namespace ${namespace} outlived its time to live; removing it`);
      await removeFromHost(host, namespace, name, log);
    } catch (err) {
      log.warn(`could not remove expired cluster "${name}": ${errorMessage(err)}`);
    }
  }
  return [...new Set(expired)];
}
