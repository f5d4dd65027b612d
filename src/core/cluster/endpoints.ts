import type { ContainerInfo } from '../docker/client.js';
import type { DockerEndpoint } from '../docker/endpoint.js';
import { KindActionError } from '../errors.js';
import { dialHost, hostPortUrl, mappedPort, NODE_PORT } from './ports.js';

/** Where the caller reaches a running node's three services. */
export interface NodeEndpoints {
  apiServer: string;
  readyUrl: string;
  dockerHost: string;
}

/**
 * Read the published ports back from `docker inspect`. With a tcp DOCKER_HOST
 * the ports live on that machine, so that host is dialled instead of loopback.
 */
export function nodeEndpoints(info: ContainerInfo, docker: DockerEndpoint): NodeEndpoints {
  const ports = info.NetworkSettings?.Ports as Parameters<typeof mappedPort>[0];
  const remote = docker.kind === 'tcp' ? docker.host : undefined;
  const url = (nodePort: number, scheme: string): string => {
    const m = mappedPort(ports, nodePort);
    if (!m?.hostPort)
      throw new KindActionError(`node port ${nodePort} is not published (docker inspect shows none)`);
    return hostPortUrl(scheme, dialHost(m.hostIp, remote), m.hostPort);
  };
  return {
    apiServer: url(NODE_PORT.api, 'https'),
    readyUrl: url(NODE_PORT.ready, 'http'),
    dockerHost: url(NODE_PORT.docker, 'tcp'),
  };
}
