import type { DockerClient } from '../docker/client.js';
import { ClusterNotFoundError, KindActionError } from '../errors.js';
import { writeKubeconfig } from '../kubeconfig/file.js';
import { rewriteKubeconfig } from '../kubeconfig/rewrite.js';
import { contextName } from '../names.js';
import { HttpProbe } from '../ready/http-probe.js';
import { nodeEndpoints } from './endpoints.js';
import { findNodes } from './find.js';

/** Fetch a running cluster's kubeconfig again and write it (0600) to `path`. */
export async function exportKubeconfig(docker: DockerClient, name: string, path: string): Promise<string> {
  const node = (await findNodes(docker, name)).find((n) => n.State === 'running');
  if (!node) throw new ClusterNotFoundError(`no running cluster named "${name}" (see: kind-action status)`);
  const info = await docker.inspectContainer(node.Id);
  if (!info) throw new ClusterNotFoundError(`the node of cluster "${name}" was just removed`);
  const ep = nodeEndpoints(info, docker.endpoint);
  const res = await new HttpProbe('config', `${ep.readyUrl}/config`).check(AbortSignal.timeout(10_000));
  if (!res.ok) throw new KindActionError(`cannot fetch the kubeconfig: ${res.reason}`);
  await writeKubeconfig(path, rewriteKubeconfig(res.value, ep.apiServer, contextName(name)), true);
  return path;
}
