import type { ContainerSummary, DockerClient } from '../docker/client.js';
import { LABEL, labelFilter } from '../labels.js';

/** The node containers of one cluster (or of all clusters), found by label. */
export function findNodes(docker: DockerClient, cluster?: string): Promise<ContainerSummary[]> {
  return docker.listContainers(labelFilter(cluster));
}

export function clusterOf(c: Pick<ContainerSummary, 'Labels'>): string {
  return c.Labels?.[LABEL.cluster] ?? '?';
}
