import type { V1ObjectMeta } from '@kubernetes/client-node';
import { cleanKubeconfigs, kubeconfigTargets } from '../cluster/down.js';
import { LABEL } from '../labels.js';
import type { Logger } from '../logger.js';
import { systemClock } from '../ready/clock.js';
import type { HostCluster } from './client.js';
import { type ForwarderRecords, isForwarderProcess } from './forwarder-records.js';
import { labelSelector } from './pod-spec.js';

export interface HostDownResult {
  clusters: string[];
  namespace: string;
  pods: number;
  services: number;
  secrets: number;
  configMaps: number;
  /** Local port-forward processes stopped. */
  forwarders: number;
  kubeconfigs: string[];
}

export interface HostDownOptions {
  /** Also clean this kubeconfig of the removed clusters' entries (as the Docker path's `down`). */
  kubeconfig?: string;
  /** Where this machine records its forwarders, to stop the removed pods' ones. */
  records?: ForwarderRecords;
  /** Say nothing of what was not there (cleanup after a failed `up`). */
  quiet?: boolean;
}

/** How long `down` waits for deleted pods to leave the API. */
const GONE_TIMEOUT_MS = 60_000;

/**
 * Remove everything labelled for one cluster (or every cluster with
 * `cluster` undefined) from the namespace: pods, Services, Secrets and
 * ConfigMaps, found by label, then the forwarders on this machine and the
 * kubeconfig entries. Idempotent; needs no local state.
 */
export async function removeFromHost(
  host: HostCluster,
  namespace: string,
  cluster: string | undefined,
  log: Logger,
  opts: HostDownOptions = {},
): Promise<HostDownResult> {
  const labelSelector_ = labelSelector(cluster);
  const [pods, services, secrets, configMaps] = await Promise.all([
    host.listPods(namespace, labelSelector_),
    host.listServices(namespace, labelSelector_),
    host.call(`list secrets in ${namespace}`, (api) =>
      api.listNamespacedSecret({ namespace, labelSelector: labelSelector_ }),
    ),
    host.call(`list configmaps in ${namespace}`, (api) =>
      api.listNamespacedConfigMap({ namespace, labelSelector: labelSelector_ }),
    ),
  ]);
  const names = (items: { metadata?: V1ObjectMeta }[]): string[] =>
    items.map((i) => i.metadata?.name ?? '').filter(Boolean);
  const gone = (what: string, name: string, fn: Parameters<HostCluster['find']>[1]) =>
    host.find(`delete ${what} ${namespace}/${name}`, fn);
  await Promise.all([
    ...names(pods).map((name) =>
      gone('pod', name, (api) => api.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 })),
    ),
    ...names(services).map((name) =>
      gone('service', name, (api) => api.deleteNamespacedService({ namespace, name })),
    ),
    ...names(secrets.items).map((name) =>
      gone('secret', name, (api) => api.deleteNamespacedSecret({ namespace, name })),
    ),
    ...names(configMaps.items).map((name) =>
      gone('configmap', name, (api) => api.deleteNamespacedConfigMap({ namespace, name })),
    ),
  ]);
  await waitUntilGone(host, namespace, labelSelector_);
  let forwarders = 0;
  if (opts.records) {
    for (const pod of names(pods)) {
      for (const { key } of await opts.records.list(host.server, namespace, pod)) {
        if (await opts.records.stop(key, isForwarderProcess)) forwarders++;
      }
    }
  }
  const metas = [...pods, ...services].map((i) => i.metadata ?? {});
  const clusters = [...new Set(metas.map((m) => m.labels?.[LABEL.cluster] ?? '?'))].sort();
  for (const name of clusters) log.info(`deleted cluster "${name}" from namespace ${namespace}`);
  if (clusters.length === 0 && !opts.quiet) {
    log.info(
      cluster ? `no cluster named "${cluster}" in namespace ${namespace}; nothing to delete` : 'no clusters',
    );
  }
  // The kubeconfig each pod recorded (an annotation), as the Docker path reads its label.
  const labelled = pods.map((p) => ({ Labels: { ...p.metadata?.labels, ...p.metadata?.annotations } }));
  const targets = kubeconfigTargets(
    labelled,
    cluster,
    opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {},
  );
  const kubeconfigs = await cleanKubeconfigs(targets, log);
  return {
    clusters,
    namespace,
    pods: pods.length,
    services: services.length,
    secrets: secrets.items.length,
    configMaps: configMaps.items.length,
    forwarders,
    kubeconfigs,
  };
}

async function waitUntilGone(host: HostCluster, namespace: string, selector: string): Promise<void> {
  const deadline = systemClock.now() + GONE_TIMEOUT_MS;
  while ((await host.listPods(namespace, selector)).length > 0) {
    if (systemClock.now() > deadline) return;
    await systemClock.sleep(250);
  }
}
