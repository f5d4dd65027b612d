import type { ContainerSummary, DockerClient } from '../docker/client.js';
import { errorMessage } from '../errors.js';
import { LABEL } from '../labels.js';
import type { Logger } from '../logger.js';
import { down } from './down.js';
import { clusterOf, findNodes } from './find.js';

/**
 * The reaper: every `up` sweeps clusters whose expiry label has passed, so a
 * cluster whose job crashed (SIGKILL, a lost runner) does not outlive it on a
 * daemon that is reused. A sweep that fails only warns: it must never stop the
 * user's own cluster from starting.
 */
export async function reapExpired(docker: DockerClient, nowSeconds: number, log: Logger): Promise<string[]> {
  let nodes: ContainerSummary[];
  try {
    nodes = await findNodes(docker);
  } catch (err) {
    log.warn(`could not look for expired clusters: ${errorMessage(err)}`);
    return [];
  }
  const expired = [...new Set(nodes.filter((n) => isExpired(n, nowSeconds)).map(clusterOf))];
  for (const name of expired) {
    try {
      log.info(`cluster "${name}" outlived its time to live; removing it`);
      await down(docker, name, log);
    } catch (err) {
      log.warn(`could not remove expired cluster "${name}": ${errorMessage(err)}`);
    }
  }
  return expired;
}

/** Pure: whether a node's expiry label is a time at or before `nowSeconds`. */
export function isExpired(node: Pick<ContainerSummary, 'Labels'>, nowSeconds: number): boolean {
  const expiresAt = expiryOf(node);
  return expiresAt !== undefined && expiresAt <= nowSeconds;
}

/** Pure: a node's expiry label as Unix seconds; undefined when absent or not a number. */
export function expiryOf(node: Pick<ContainerSummary, 'Labels'>): number | undefined {
  const raw = node.Labels?.[LABEL.expires];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** Unix seconds `ttlMs` from `nowMs`, or undefined for no expiry (ttl 0). */
export function expiryFor(nowMs: number, ttlMs: number): number | undefined {
  return ttlMs > 0 ? Math.ceil((nowMs + ttlMs) / 1000) : undefined;
}
