import type { ContainerSummary, DockerClient } from '../docker/client.js';
import { errorMessage } from '../errors.js';
import { removeKubeconfigEntries } from '../kubeconfig/file.js';
import { LABEL, labelFilter } from '../labels.js';
import type { Logger } from '../logger.js';
import { contextName } from '../names.js';
import { clusterOf, findNodes } from './find.js';

export interface DownResult {
  clusters: string[];
  containers: number;
  volumes: number;
  networks: number;
  /** Kubeconfig files the removed clusters' entries were taken out of (or deleted). */
  kubeconfigs: string[];
}

export interface DownOptions {
  /**
   * A kubeconfig to clean of the removed clusters' entries, as well as the
   * file each node records (`up` labels the node with the file it wrote). With
   * a cluster name it is cleaned even when no node is found: the container
   * may have been removed some other way.
   */
  kubeconfig?: string;
}

/**
 * Remove everything labelled for one cluster (or every cluster with
 * `cluster` undefined): containers with their volumes, then leftover labelled
 * volumes and networks, then the cluster's context, cluster and user from the
 * kubeconfig `up` wrote. Idempotent and needs no local state.
 */
export async function down(
  docker: DockerClient,
  cluster: string | undefined,
  log: Logger,
  opts: DownOptions = {},
): Promise<DownResult> {
  const filter = labelFilter(cluster);
  const nodes = await findNodes(docker, cluster);
  await Promise.all(nodes.map((n) => docker.removeContainer(n.Id)));
  // Volumes only after their containers are gone; networks independently.
  const [volumes, networks] = await Promise.all([docker.listVolumes(filter), docker.listNetworks(filter)]);
  await Promise.all([
    ...volumes.map((v) => docker.removeVolume(v)),
    ...networks.map((n) => docker.removeNetwork(n)),
  ]);
  const clusters = [...new Set(nodes.map(clusterOf))].sort();
  for (const name of clusters) log.info(`deleted cluster "${name}"`);
  if (nodes.length === 0)
    log.info(cluster ? `no cluster named "${cluster}"; nothing to delete` : 'no clusters');
  const kubeconfigs = await cleanKubeconfigs(kubeconfigTargets(nodes, cluster, opts), log);
  return {
    clusters,
    containers: nodes.length,
    volumes: volumes.length,
    networks: networks.length,
    kubeconfigs,
  };
}

export interface Target {
  cluster: string;
  path: string;
}

/** Pure: which file to clean of which cluster's entries, each pair once. */
export function kubeconfigTargets(
  nodes: readonly Pick<ContainerSummary, 'Labels'>[],
  cluster: string | undefined,
  opts: DownOptions,
): Target[] {
  const targets = new Map<string, Target>();
  const add = (t: Target): void => {
    targets.set(`${t.cluster}\0${t.path}`, t);
  };
  for (const node of nodes) {
    const path = node.Labels?.[LABEL.kubeconfig];
    if (path) add({ cluster: clusterOf(node), path });
  }
  if (opts.kubeconfig) {
    const names = cluster !== undefined ? [cluster] : nodes.map(clusterOf);
    for (const name of names) add({ cluster: name, path: opts.kubeconfig });
  }
  return [...targets.values()];
}

/** The files changed; a file that cannot be read or written is a warning, not a failure. */
export async function cleanKubeconfigs(targets: Target[], log: Logger): Promise<string[]> {
  const changed: string[] = [];
  for (const { cluster, path } of targets) {
    const context = contextName(cluster);
    try {
      const outcome = await removeKubeconfigEntries(path, context);
      if (outcome === 'absent') continue;
      changed.push(path);
      log.info(
        outcome === 'deleted'
          ? `deleted ${path} (it held only "${context}")`
          : `removed context "${context}" from ${path}`,
      );
    } catch (err) {
      log.warn(`could not remove "${context}" from ${path}: ${errorMessage(err)}`);
    }
  }
  return [...new Set(changed)];
}
