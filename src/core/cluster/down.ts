import type { DockerClient } from '../docker/client.js';
import { labelFilter } from '../labels.js';
import type { Logger } from '../logger.js';
import { clusterOf, findNodes } from './find.js';

export interface DownResult {
  clusters: string[];
  containers: number;
  volumes: number;
  networks: number;
}

/**
 * Remove everything labelled for one cluster (or every cluster with
 * `cluster` undefined): containers with their volumes, then leftover labelled
 * volumes and networks. Idempotent and needs no local state.
 */
export async function down(
  docker: DockerClient,
  cluster: string | undefined,
  log: Logger,
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
  return { clusters, containers: nodes.length, volumes: volumes.length, networks: networks.length };
}
