import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

/** Where the Docker daemon is, and how we found out (for error messages). */
export type DockerEndpoint =
  | { kind: 'socket'; socketPath: string; source: string }
  | { kind: 'tcp'; host: string; port: number; tls: TlsFiles | undefined; source: string };

export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  verify: boolean;
}

export interface EndpointEnv {
  DOCKER_HOST?: string | undefined;
  DOCKER_TLS_VERIFY?: string | undefined;
  DOCKER_CERT_PATH?: string | undefined;
  DOCKER_CONTEXT?: string | undefined;
  DOCKER_CONFIG?: string | undefined;
  HOME?: string | undefined;
}

/** Reads a file or returns undefined; injected so resolution stays pure. */
export type ReadText = (path: string) => string | undefined;

/** The ReadText adapters pass in: the file's text, or undefined when it cannot be read. */
export const readTextFile: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * Resolve the daemon the same way the docker CLI does: DOCKER_HOST, then the
 * context named by DOCKER_CONTEXT or the config's currentContext, then the
 * default socket.
 */
export function resolveEndpoint(env: EndpointEnv, read: ReadText): DockerEndpoint {
  if (env.DOCKER_HOST) return parseHost(env.DOCKER_HOST, 'DOCKER_HOST', tlsFromEnv(env));
  const configDir = env.DOCKER_CONFIG ?? join(env.HOME ?? '/root', '.docker');
  const context = env.DOCKER_CONTEXT ?? currentContext(configDir, read);
  if (context && context !== 'default') {
    const host = contextHost(configDir, context, read);
    if (host) return parseHost(host, `docker context "${context}"`, undefined);
  }
  return { kind: 'socket', socketPath: DEFAULT_SOCKET, source: 'the default socket' };
}

export function parseHost(value: string, source: string, tls: TlsFiles | undefined): DockerEndpoint {
  if (value.startsWith('unix://')) {
    return { kind: 'socket', socketPath: value.slice('unix://'.length), source };
  }
  const match = /^(?:tcp|https?):\/\/(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(?::(\d+))?\/?$/.exec(value);
  if (!match?.[1]) {
    throw new UsageError(`${source}: "${value}" is not unix:///path or tcp://host:port`);
  }
  const host = match[1].replace(/^\[|\]$/g, '');
  const port = match[2] ? Number(match[2]) : tls ? 2376 : 2375;
  return { kind: 'tcp', host, port, tls, source };
}

function tlsFromEnv(env: EndpointEnv): TlsFiles | undefined {
  const verify =
    env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0';
  if (!verify && !env.DOCKER_CERT_PATH) return undefined;
  const dir = env.DOCKER_CERT_PATH ?? join(env.HOME ?? '/root', '.docker');
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), verify };
}

function currentContext(configDir: string, read: ReadText): string | undefined {
  const text = read(join(configDir, 'config.json'));
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { currentContext?: unknown };
    return typeof parsed.currentContext === 'string' ? parsed.currentContext : undefined;
  } catch {
    return undefined;
  }
}

function contextHost(configDir: string, name: string, read: ReadText): string | undefined {
  const id = createHash('sha256').update(name).digest('hex');
  const text = read(join(configDir, 'contexts', 'meta', id, 'meta.json'));
  if (!text) return undefined;
  try {
    const meta = JSON.parse(text) as { Endpoints?: { docker?: { Host?: unknown } } };
    const host = meta.Endpoints?.docker?.Host;
    return typeof host === 'string' ? host : undefined;
  } catch {
    return undefined;
  }
}

export function describeEndpoint(ep: DockerEndpoint): string {
  const where = ep.kind === 'socket' ? `unix://${ep.socketPath}` : `tcp://${ep.host}:${ep.port}`;
  return `${where} (from ${ep.source})`;
}
