import { writeKubeconfig } from '../kubeconfig/file.js';
import { rewriteKubeconfig } from '../kubeconfig/rewrite.js';
import type { Logger } from '../logger.js';
import { contextName } from '../names.js';
import { systemClock } from '../ready/clock.js';
import { HttpProbe } from '../ready/http-probe.js';
import { type PhaseTimings, round, waitForPhases } from '../ready/wait.js';

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
}

/** Wait for a node we did not start (a CI service) through its readiness URL only. */
export async function waitForUrl(opts: WaitUrlOptions, log: Logger): Promise<WaitUrlResult> {
  const start = systemClock.now();
  log.info(`waiting for ${opts.url} (timeout ${Math.round(opts.timeoutMs / 1000)}s)`);
  const { timings, values } = await waitForPhases(
    [
      { name: 'docker-ready', probe: new HttpProbe('docker-ready', `${opts.url}/docker-ready`) },
      { name: 'kubernetes-ready', probe: new HttpProbe('kubernetes-ready', `${opts.url}/kubernetes-ready`) },
      { name: 'kubeconfig', probe: new HttpProbe('config', `${opts.url}/config`) },
    ],
    {
      deadline: start + opts.timeoutMs,
      signal: opts.signal,
      onPending: (reason) => log.debug(`not ready: ${reason}`),
    },
  );
  if (opts.kubeconfigPath) {
    const cfg = rewriteKubeconfig(String(values[2]), opts.apiServer, contextName(opts.name));
    await writeKubeconfig(opts.kubeconfigPath, cfg, true);
  }
  return {
    name: opts.name,
    configUrl: `${opts.url}/config`,
    apiServer: opts.apiServer,
    kubeconfig: opts.kubeconfigPath ?? null,
    readySeconds: round((systemClock.now() - start) / 1000),
    phases: timings,
  };
}
