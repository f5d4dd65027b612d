import * as core from '@actions/core';
import type { DockerEndpoint } from '../core/docker/endpoint.js';

/**
 * What the main step tells the wait sub-action (a step of another action, so
 * not through GITHUB_STATE): the Docker daemon the node runs on (DOCKER_HOST
 * now names the node's own) and when main returned.
 */
export interface Handoff {
  endpoint: DockerEndpoint;
  /** Unix milliseconds. */
  returnedAt: number;
  /** install-kubectl: the wait step puts kubectl on PATH (main did not wait to). */
  installKubectl: boolean;
}

/** One variable per cluster: names are DNS labels, so `-` → `_` cannot collide. */
export function handoffVariable(name: string): string {
  return `KIND_ACTION_CLUSTER_${name.toUpperCase().replace(/-/g, '_')}`;
}

export function exportHandoff(name: string, handoff: Handoff): void {
  core.exportVariable(handoffVariable(name), JSON.stringify(handoff));
}

/** The handoff main exported for `name`, or undefined (no main step, or another tool started it). */
export function readHandoff(env: NodeJS.ProcessEnv, name: string): Handoff | undefined {
  const raw = env[handoffVariable(name)];
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<Handoff>;
    if (typeof parsed.returnedAt !== 'number' || typeof parsed.endpoint !== 'object' || !parsed.endpoint) {
      return undefined;
    }
    return {
      endpoint: parsed.endpoint,
      returnedAt: parsed.returnedAt,
      installKubectl: parsed.installKubectl === true,
    };
  } catch {
    return undefined;
  }
}
