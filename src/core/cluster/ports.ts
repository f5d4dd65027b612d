import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { truncate } from '../names.js';

/** Ports the node listens on, by role. */
export const NODE_PORT = { api: 8443, ready: 10080, docker: 2375 } as const;

export interface PortMapping {
  hostIp: string;
  /** 0 = let Docker pick a free port. */
  hostPort: number;
  nodePort: number;
}

const field = 'publish';

/** Parse `[IP:]HOSTPORT:NODEPORT`, a node port published on the host. */
export function parsePublish(spec: string, defaultIp: string): PortMapping {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(\d{1,5}):(\d{1,5})$/.exec(spec.trim());
  if (!m?.[2] || !m[3]) {
    throw new UsageError(`"${truncate(spec)}" is not [IP:]HOSTPORT:NODEPORT (e.g. 127.0.0.1:8080:30080)`, {
      field,
    });
  }
  const hostIp = m[1] ? m[1].replace(/^\[|\]$/g, '') : defaultIp;
  if (isIP(hostIp) === 0) throw new UsageError(`"${hostIp}" is not an IP address`, { field });
  const hostPort = checkPort(Number(m[2]), spec, true);
  const nodePort = checkPort(Number(m[3]), spec, false);
  return { hostIp, hostPort, nodePort };
}

function checkPort(port: number, spec: string, allowZero: boolean): number {
  if ((port === 0 && allowZero) || (port >= 1 && port <= 65535)) return port;
  throw new UsageError(`"${truncate(spec)}" has port ${port}, outside 1-65535`, { field });
}

/**
 * The three node ports on random host ports, unless `--publish` fixed one of
 * them; then the user's extra mappings. Duplicate node ports are refused.
 */
export function planPorts(extra: PortMapping[], listenIp: string): PortMapping[] {
  const seen = new Set<string>();
  for (const p of extra) {
    const key = `${p.hostIp}:${p.hostPort}`;
    if (p.hostPort !== 0 && seen.has(key)) throw new UsageError(`host port ${key} is given twice`, { field });
    seen.add(key);
  }
  const fixed = new Set(extra.map((p) => p.nodePort));
  const defaults = Object.values(NODE_PORT)
    .filter((port) => !fixed.has(port))
    .map((nodePort) => ({ hostIp: listenIp, hostPort: 0, nodePort }));
  return [...defaults, ...extra];
}

export type PortBindings = Record<string, { HostIp: string; HostPort: string }[]>;

export function portBindings(ports: PortMapping[]): PortBindings {
  const out: PortBindings = {};
  for (const p of ports) {
    const key = `${p.nodePort}/tcp`;
    const list = out[key] ?? [];
    list.push({ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : '' });
    out[key] = list;
  }
  return out;
}

/** Read back the host port Docker chose for `nodePort` from `docker inspect`. */
export function mappedPort(
  ports: Record<string, { HostIp: string; HostPort: string }[] | null> | undefined,
  nodePort: number,
): { hostIp: string; hostPort: number } | undefined {
  const list = ports?.[`${nodePort}/tcp`];
  const first = list?.find((b) => b.HostIp === '127.0.0.1' || b.HostIp === '0.0.0.0') ?? list?.[0];
  if (!first) return undefined;
  return { hostIp: first.HostIp, hostPort: Number(first.HostPort) };
}

/** A host address to dial for a binding: wildcard binds are reached on loopback. */
export function dialHost(bindIp: string, dockerHost: string | undefined): string {
  if (dockerHost) return dockerHost;
  if (bindIp === '0.0.0.0' || bindIp === '') return '127.0.0.1';
  if (bindIp === '::') return '::1';
  return bindIp;
}

export function hostPortUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}
