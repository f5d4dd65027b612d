import type { DockerClient } from '../docker/client.js';
import { ClusterNotFoundError, ContainerExitedError } from '../errors.js';
import { LABEL } from '../labels.js';
import type { Logger } from '../logger.js';
import { ContainerRunningProbe } from '../ready/container-probe.js';
import { FatalProbeError } from '../ready/wait.js';
import { nodeEndpoints } from './endpoints.js';
import { findNodes } from './find.js';
import { type WaitUrlResult, waitAndWriteKubeconfig } from './wait-url.js';

export interface WaitClusterOptions {
  name: string;
  timeoutMs: number;
  /** Where to write the kubeconfig; default: the file `up` recorded on the node, else `fallbackKubeconfig`. */
  kubeconfigPath: string | undefined;
  fallbackKubeconfig: string;
  signal: AbortSignal;
}

export interface WaitClusterResult extends WaitUrlResult {
  containerId: string;
  dockerHost: string;
}

/**
 * Finish the wait of a cluster `up` started without waiting for Kubernetes
 * (`--wait-for docker|none`): find its node by label, wait until it is ready,
 * and write the kubeconfig where `up` meant to (merging into the file).
 */
export async function waitForCluster(
  docker: DockerClient,
  opts: WaitClusterOptions,
  log: Logger,
): Promise<WaitClusterResult> {
  const node = (await findNodes(docker, opts.name)).find((n) => n.State === 'running');
  if (!node)
    throw new ClusterNotFoundError(`no running cluster named "${opts.name}" (see: kind-action status)`);
  const info = await docker.inspectContainer(node.Id);
  if (!info) throw new ClusterNotFoundError(`the node of cluster "${opts.name}" was just removed`);
  const ep = nodeEndpoints(info, docker.endpoint);
  const kubeconfigPath = opts.kubeconfigPath ?? node.Labels?.[LABEL.kubeconfig] ?? opts.fallbackKubeconfig;
  try {
    const result = await waitAndWriteKubeconfig(
      { ...opts, url: ep.readyUrl, apiServer: ep.apiServer, kubeconfigPath },
      [new ContainerRunningProbe(docker, node.Id)],
      log,
    );
    return { ...result, containerId: node.Id, dockerHost: ep.dockerHost };
  } catch (err) {
    if (!(err instanceof FatalProbeError)) throw err;
    throw new ContainerExitedError(err.message, await docker.logs(node.Id, 50).catch(() => ''));
  }
}
