import { UnknownHostError } from '../errors.js';
import { selectKubectl } from '../job/kubectl-dir.js';
import { writeKubeconfig } from '../kubeconfig/file.js';
import { type Kubeconfig, rewriteKubeconfig } from '../kubeconfig/rewrite.js';
import { serverVersion } from '../kubeconfig/server-version.js';
import type { Logger } from '../logger.js';
import { contextName } from '../names.js';
import { systemClock } from '../ready/clock.js';
import { HostResolvesProbe } from '../ready/host-probe.js';
import { waitForNode } from '../ready/node-phases.js';
import { type BootTimeline, bootTimeline, fetchNodeStatus } from '../ready/node-status.js';
import type { Probe } from '../ready/probe.js';
import { FatalProbeError, type PhaseTimings, round } from '../ready/wait.js';

export interface WaitUrlOptions {
  /** The node's readiness base URL, e.g. http://kind:10080. */
  url: string;
  apiServer: string;
  name: string;
  timeoutMs: number;
  kubeconfigPath: string | undefined;
  /**
   * A directory of kubectls (v<version>/kubectl, bin/kubectl: the job
   * image's): once ready, point its bin/kubectl at the API server's version.
   */
  kubectlDir?: string | undefined;
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
  /** With a kubectl directory: the API server's version and the kubectl now on PATH. */
  kubernetesVersion?: string;
  kubectl?: string;
}

/**
 * How long a host name that does not exist is given to appear (a CI
 * service's alias is there from the start): this, or half the timeout when
 * that is shorter, so the name is what the error is about.
 */
export const UNKNOWN_HOST_GRACE_MS = 20_000;

/** Wait for a node we did not start (a CI service) through its readiness URL only. */
export async function waitForUrl(opts: WaitUrlOptions, log: Logger): Promise<WaitUrlResult> {
  const host = new URL(opts.url).hostname;
  const guard = new HostResolvesProbe(host, Math.min(UNKNOWN_HOST_GRACE_MS, opts.timeoutMs / 2));
  let waited: { result: WaitUrlResult; config: Kubeconfig | undefined };
  try {
    waited = await waitNode(opts, [guard], log);
  } catch (err) {
    if (err instanceof FatalProbeError) throw new UnknownHostError(err.message, { field: 'url' });
    throw err;
  }
  if (!opts.kubectlDir || !waited.config) return waited.result;
  return { ...waited.result, ...(await matchKubectl(opts.kubectlDir, waited.config, opts.signal, log)) };
}

/** Point the kubectl directory's link at the server's version; a mismatch or an unknown version warns. */
async function matchKubectl(
  dir: string,
  cfg: Kubeconfig,
  signal: AbortSignal,
  log: Logger,
): Promise<Pick<WaitUrlResult, 'kubernetesVersion' | 'kubectl'>> {
  let version: string;
  try {
    version = await serverVersion(cfg, signal);
  } catch (err) {
    log.warn(`kubectl: left as it was, the API server's version is unknown (${(err as Error).message})`);
    return {};
  }
  const choice = await selectKubectl(dir, version);
  if (choice.matched) log.info(`kubectl ${choice.kubectl} for Kubernetes ${version} (${choice.path})`);
  else {
    log.warn(
      `kubectl: none for Kubernetes ${version} here (${choice.available.join(', ') || 'none'}); kubectl stays ${choice.kubectl || 'as it was'}, outside the skew kubectl supports if the minors are more than one apart`,
    );
  }
  return { kubernetesVersion: version, ...(choice.kubectl ? { kubectl: choice.path } : {}) };
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
  return (await waitNode(opts, guards, log)).result;
}

async function waitNode(
  opts: WaitUrlOptions,
  guards: Probe[],
  log: Logger,
): Promise<{ result: WaitUrlResult; config: Kubeconfig | undefined }> {
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
  const wanted = config !== undefined && (opts.kubeconfigPath || opts.kubectlDir);
  const cfg = wanted ? rewriteKubeconfig(config, opts.apiServer, contextName(opts.name)) : undefined;
  if (opts.kubeconfigPath && cfg) await writeKubeconfig(opts.kubeconfigPath, cfg, true);
  const after = before && (await fetchNodeStatus(opts.url));
  const result: WaitUrlResult = {
    name: opts.name,
    configUrl: `${opts.url}/config`,
    apiServer: opts.apiServer,
    kubeconfig: opts.kubeconfigPath ?? null,
    readySeconds,
    phases: timings,
    ...(before ? { boot: bootTimeline(before, after) } : {}),
  };
  return { result, config: cfg };
}
