import { writeKubeconfig } from '../kubeconfig/file.js';
import { rewriteKubeconfig } from '../kubeconfig/rewrite.js';
import type { Logger } from '../logger.js';
import { contextName } from '../names.js';
import { systemClock } from '../ready/clock.js';
import { waitForNode } from '../ready/node-phases.js';
import { type BootTimeline, bootTimeline, fetchNodeStatus } from '../ready/node-status.js';
import type { Probe } from '../ready/probe.js';
import { type PhaseTimings, round } from '../ready/wait.js';

export interface WaitUrlOptions {
  /** The node's readiness base URL, e.g. http://kind:10080. */
  url: string;
  apiServer: string;
  name: string;
  timeoutMs: number;
  kubeconfigPath: string | undefined;
  signal: AbortSignal;
}

export interface WaitUrlResult {
  name: string;
  configUrl: string;
  apiServer: string;
  kubeconfig: string | null;
  readySeconds: number;
  phases: PhaseTimings;
  /** Where this wait fell in the node's boot (absent when the node has no /status). */
  boot?: BootTimeline;
}

/** Wait for a node we did not start (a CI service) through its readiness URL only. */
export function waitForUrl(opts: WaitUrlOptions, log: Logger): Promise<WaitUrlResult> {
  return waitAndWriteKubeconfig(opts, [], log);
}

/**
 * Wait until the node at `opts.url` is ready for Kubernetes, then write
 * (merge) its kubeconfig when a path is given. `guards` end the wait at once
 * when they fail fatally (the container exited).
 */
export async function waitAndWriteKubeconfig(
  opts: WaitUrlOptions,
  guards: Probe[],
  log: Logger,
): Promise<WaitUrlResult> {
  const start = systemClock.now();
  log.info(`waiting for ${opts.url} (timeout ${Math.round(opts.timeoutMs / 1000)}s)`);
  const before = await fetchNodeStatus(opts.url);
  const { timings, config } = await waitForNode(opts.url, 'kubernetes', {
    deadline: start + opts.timeoutMs,
    signal: opts.signal,
    guards,
    onPending: (reason) => log.debug(`not ready: ${reason}`),
  });
  const readySeconds = round((systemClock.now() - start) / 1000);
  if (opts.kubeconfigPath && config !== undefined) {
    const cfg = rewriteKubeconfig(config, opts.apiServer, contextName(opts.name));
    await writeKubeconfig(opts.kubeconfigPath, cfg, true);
  }
  const after = before && (await fetchNodeStatus(opts.url));
  return {
    name: opts.name,
    configUrl: `${opts.url}/config`,
    apiServer: opts.apiServer,
    kubeconfig: opts.kubeconfigPath ?? null,
    readySeconds,
    phases: timings,
    ...(before ? { boot: bootTimeline(before, after) } : {}),
  };
}
