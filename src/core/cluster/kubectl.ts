import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DockerClient } from '../docker/client.js';
import { copyFileOut } from '../docker/copy-out.js';
import { ClusterNotFoundError, KindActionError } from '../errors.js';
import { exists } from '../files.js';
import { LABEL } from '../labels.js';
import { findNodes } from './find.js';

/** Where a node image keeps kubectl (in a source bake, a link to the multi-call kube-node). */
export const NODE_KUBECTL_PATHS = ['/kind/bin/kubectl', '/usr/local/bin/kubectl'] as const;

/** The node image has no kubectl, or does not say which Kubernetes it runs. */
export class KubectlUnavailableError extends KindActionError {}

/** A running node and what its kubectl is: the cluster's version, the node's architecture. */
export interface NodeKubectl {
  containerId: string;
  /** e.g. 1.37.2 */
  version: string;
  /** Docker's name for it: amd64, arm64. */
  arch: string;
}

/** The running node of cluster `name` and the version and architecture of its kubectl. */
export async function nodeKubectl(docker: DockerClient, name: string): Promise<NodeKubectl> {
  const node = (await findNodes(docker, name)).find((n) => n.State === 'running');
  if (!node) throw new ClusterNotFoundError(`no running cluster named "${name}" (see: kind-action status)`);
  return kubectlOfContainer(docker, node.Id);
}

export async function kubectlOfContainer(docker: DockerClient, containerId: string): Promise<NodeKubectl> {
  const info = await docker.inspectContainer(containerId);
  if (!info) throw new ClusterNotFoundError(`the node container ${containerId.slice(0, 12)} was removed`);
  const version = info.Config.Labels?.[LABEL.k8sVersion];
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new KubectlUnavailableError(
      `the node image ${info.Config.Image} does not say which Kubernetes it runs (no ${LABEL.k8sVersion} label)`,
    );
  }
  const arch = (await docker.inspectImage(info.Image))?.Architecture ?? 'unknown';
  return { containerId, version, arch };
}

/** Copy the node's kubectl to the host file `dest` (mode 0755). */
export async function extractKubectl(docker: DockerClient, containerId: string, dest: string): Promise<void> {
  for (const path of NODE_KUBECTL_PATHS) {
    if (await copyFileOut(docker, containerId, path, dest)) {
      await chmod(dest, 0o755);
      return;
    }
  }
  throw new KubectlUnavailableError(
    `the node image has no kubectl (looked at ${NODE_KUBECTL_PATHS.join(', ')})`,
  );
}

/** The directory that holds one version's kubectl for one architecture, under `cacheDir`. */
export function kubectlCacheDir(cacheDir: string, kubectl: Pick<NodeKubectl, 'version' | 'arch'>): string {
  return join(cacheDir, 'kubectl', `v${kubectl.version}-${kubectl.arch}`);
}

/**
 * A path to a kubectl of cluster `name`'s version, taken out of its node the
 * first time and kept in `cacheDir` (keyed by version and architecture).
 */
export async function cachedKubectl(docker: DockerClient, name: string, cacheDir: string): Promise<string> {
  const node = await nodeKubectl(docker, name);
  const dir = kubectlCacheDir(cacheDir, node);
  const file = join(dir, 'kubectl');
  if (await exists(file)) return file;
  await mkdir(dir, { recursive: true });
  await extractKubectl(docker, node.containerId, file);
  return file;
}
