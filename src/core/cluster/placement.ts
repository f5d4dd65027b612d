import { isIP } from 'node:net';
import { UsageError } from '../errors.js';
import { truncate } from '../names.js';
import { type PortMapping, parsePublish } from './ports.js';

/** Where the node's ports are published and which network it joins, as every adapter reads them. */
export interface Placement {
  publish: PortMapping[];
  listenAddress: string;
  network: string | undefined;
}

export interface RawPlacement {
  publish: string[];
  listenAddress: string;
  network: string | undefined;
}

/** Check the publish, listen-address and network inputs (fields named as such). */
export function parsePlacement(raw: RawPlacement): Placement {
  const listenAddress = parseListenAddress(raw.listenAddress);
  return {
    publish: raw.publish.map((p) => parsePublish(p, listenAddress)),
    listenAddress,
    network: raw.network === undefined ? undefined : parseNetwork(raw.network),
  };
}

function parseListenAddress(value: string): string {
  if (isIP(value) === 0) {
    throw new UsageError(`"${truncate(value)}" is not an IP address`, { field: 'listen-address' });
  }
  return value;
}

function parseNetwork(value: string): string {
  if (/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(value)) return value;
  throw new UsageError(`"${truncate(value)}" is not a Docker network name`, { field: 'network' });
}

/** The warning an adapter gives when the node's ports listen beyond loopback; none on loopback. */
export function exposureWarning(listenAddress: string, label: string): string | undefined {
  if (listenAddress === '127.0.0.1' || listenAddress === '::1') return undefined;
  return `${label} ${listenAddress}: the node's Docker API (root on the node) and Kubernetes API will be reachable from other machines`;
}
