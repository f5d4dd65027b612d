import { hostPortUrl } from '../cluster/ports.js';
import { serviceEndpoints } from './pod-spec.js';
import type { PodRef } from './probes.js';

/** Local ports a forwarder listens on (127.0.0.1) for the node's API, readiness server and Docker. */
export interface ForwardedPorts {
  api: number;
  ready: number;
  docker: number;
}

/**
 * How the node is reached from where `up` ran. `service`: `up` runs in a pod
 * of the host cluster, which resolves and routes the node's Service. Else a
 * `port-forward` that a detached process keeps (through the API server, so
 * nothing but the host kubeconfig is needed) until `down` or the pod's end.
 */
export type NodeAccess =
  | { kind: 'service' }
  | { kind: 'port-forward'; start: (pod: PodRef) => Promise<ForwardedPorts> };

/** Pure: `service` in the host cluster itself, else `port-forward`. */
export function accessKind(inHostCluster: boolean): NodeAccess['kind'] {
  return inHostCluster ? 'service' : 'port-forward';
}

export interface PodEndpoints {
  apiServer: string;
  readyUrl: string;
  dockerHost: string;
  /** Through the Service, for pods in the host cluster, whichever way `up` reaches it. */
  serviceApiServer: string;
}

export async function podAccess(
  access: NodeAccess,
  cluster: string,
  namespace: string,
  pod: PodRef,
): Promise<PodEndpoints> {
  const svc = serviceEndpoints(cluster, namespace);
  if (access.kind === 'service') return { ...svc, serviceApiServer: svc.apiServer };
  const ports = await access.start(pod);
  return forwardedEndpoints(ports, svc.apiServer);
}

/** Pure: the addresses of a forwarder's local ports. */
export function forwardedEndpoints(ports: ForwardedPorts, serviceApiServer: string): PodEndpoints {
  return {
    apiServer: hostPortUrl('https', '127.0.0.1', ports.api),
    readyUrl: hostPortUrl('http', '127.0.0.1', ports.ready),
    dockerHost: hostPortUrl('tcp', '127.0.0.1', ports.docker),
    serviceApiServer,
  };
}
