import type { DockerClient } from '../docker/client.js';
import { LABEL } from '../labels.js';
import { HttpProbe } from '../ready/http-probe.js';
import { nodeEndpoints } from './endpoints.js';
import { clusterOf, findNodes } from './find.js';
import { expiryOf } from './reap.js';

export interface ClusterStatus {
  name: string;
  containerId: string;
  image: string;
  state: string;
  version: string;
  /** When a later `up` may remove it (ISO 8601); absent: never. */
  expiresAt?: string;
  /** The kubeconfig `up` wrote (on the machine that ran it). */
  kubeconfig?: string;
  apiServer?: string;
  dockerHost?: string;
  ready?: boolean;
  reason?: string;
  components?: unknown;
}

/** What is running, by label; for running nodes also the node's own /status. */
export async function status(docker: DockerClient, cluster?: string): Promise<ClusterStatus[]> {
  const nodes = await findNodes(docker, cluster);
  return Promise.all(
    nodes.map(async (n) => {
      const base: ClusterStatus = {
        name: clusterOf(n),
        containerId: n.Id,
        image: n.Image,
        state: n.State,
        version: n.Labels?.[LABEL.version] ?? '',
        ...expiry(expiryOf(n)),
        ...(n.Labels?.[LABEL.kubeconfig] ? { kubeconfig: n.Labels[LABEL.kubeconfig] } : {}),
      };
      if (n.State !== 'running') return base;
      const info = await docker.inspectContainer(n.Id);
      if (!info) return { ...base, state: 'removed' };
      const ep = nodeEndpoints(info, docker.endpoint);
      const signal = AbortSignal.timeout(5000);
      const ready = await new HttpProbe('kubernetes-ready', `${ep.readyUrl}/kubernetes-ready`).check(signal);
      const detail = await new HttpProbe('status', `${ep.readyUrl}/status`).check(signal);
      return {
        ...base,
        apiServer: ep.apiServer,
        dockerHost: ep.dockerHost,
        ready: ready.ok,
        ...(ready.ok ? {} : { reason: ready.reason }),
        ...(detail.ok ? { components: safeJson(detail.value) } : {}),
      };
    }),
  );
}

function expiry(seconds: number | undefined): { expiresAt?: string } {
  return seconds === undefined ? {} : { expiresAt: new Date(seconds * 1000).toISOString() };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
