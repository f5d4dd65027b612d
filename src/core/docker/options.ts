import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { DockerUnavailableError, errorMessage } from '../errors.js';
import type { DockerEndpoint } from './endpoint.js';

/**
 * docker-modem fills every option not given from DOCKER_HOST and
 * DOCKER_CERT_PATH in process.env (a set DOCKER_HOST even beats socketPath).
 * Naming each of them makes the resolved endpoint alone decide.
 */
const NO_ENV_DEFAULTS = {
  host: undefined,
  port: undefined,
  protocol: undefined,
  ca: undefined,
  cert: undefined,
  key: undefined,
} as unknown as Docker.DockerOptions;

/** dockerode's options for an endpoint, TLS files read now. */
export function dockerodeOptions(ep: DockerEndpoint): Docker.DockerOptions {
  if (ep.kind === 'socket') return { ...NO_ENV_DEFAULTS, socketPath: ep.socketPath };
  if (!ep.tls) return { ...NO_ENV_DEFAULTS, host: ep.host, port: ep.port, protocol: 'http' };
  const read = (path: string): Buffer => readFileSync(path);
  try {
    return {
      host: ep.host,
      port: ep.port,
      protocol: 'https',
      ca: read(ep.tls.ca),
      cert: read(ep.tls.cert),
      key: read(ep.tls.key),
    };
  } catch (err) {
    throw new DockerUnavailableError(`DOCKER_CERT_PATH: cannot read TLS files (${errorMessage(err)})`);
  }
}
