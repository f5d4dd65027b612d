import { randomBytes } from 'node:crypto';
import type { DockerClient } from '../docker/client.js';
import {
  ContainerExitedError,
  errorMessage,
  InterruptedError,
  KindActionError,
  NameTakenError,
  throwIfAborted,
} from '../errors.js';
import { writeKubeconfig } from '../kubeconfig/file.js';
import { rewriteKubeconfig } from '../kubeconfig/rewrite.js';
import type { Logger } from '../logger.js';
import { containerName, contextName } from '../names.js';
import { type ClusterOptions, clusterOptionsEnv } from '../options/cluster-options.js';
import { systemClock } from '../ready/clock.js';
import { ContainerRunningProbe } from '../ready/container-probe.js';
import { type WaitTarget, waitForNode as waitForReadiness } from '../ready/node-phases.js';
import { FatalProbeError, type PhaseTimings, round } from '../ready/wait.js';
import { nodeEndpoints } from './endpoints.js';
import { clusterOf, findNodes } from './find.js';
import { type PortMapping, planPorts } from './ports.js';
import { type PrivilegeChoice, type PrivilegeMemo, startNode } from './privilege.js';
import { expiryFor, reapExpired } from './reap.js';
import { loginInNode, type RegistryLogin } from './registry-login.js';

export interface UpOptions {
  name: string;
  /** Resolves the node image (local, pull, bake); returns the reference to run. */
  resolveImage: (signal: AbortSignal) => Promise<string>;
  timeoutMs: number;
  /**
   * How far to wait: `kubernetes` (then the kubeconfig is written), `docker`
   * (the node's Docker answers; Kubernetes goes on booting) or `none`.
   */
  waitFor: WaitTarget;
  /** After this long any later `up` on the daemon removes the cluster; 0: never. */
  ttlMs: number;
  kubeconfigPath: string;
  mergeKubeconfig: boolean;
  publish: PortMapping[];
  listenAddress: string;
  /** A user-defined Docker network to attach the node to (default: the bridge). */
  network?: string;
  /** Feature gates, runtime-config and component arguments, handed to the node at start. */
  clusterOptions?: ClusterOptions;
  /** Credentials for the node's Docker, logged in once the node is ready. */
  registry?: RegistryLogin | undefined;
  privilege: PrivilegeChoice;
  memo: PrivilegeMemo;
  /** Keep the container when readiness fails (for debugging). */
  retainOnFailure: boolean;
  /**
   * Called once expired clusters are swept and the name is found free, before
   * anything is created: from then on a cluster of this name is this call's.
   */
  onNameClaimed?: () => void;
  /** Called once the node container runs, before the wait (work that can overlap it). */
  onStarted?: (containerId: string) => void;
  signal: AbortSignal;
}

export interface UpResult {
  name: string;
  containerId: string;
  /** The file written; with `waitFor` short of Kubernetes, where `wait --name` will write it. */
  kubeconfig: string;
  waitedFor: WaitTarget;
  apiServer: string;
  dockerHost: string;
  configUrl: string;
  readySeconds: number;
  phases: PhaseTimings;
  privilege: string;
}

const LOG_TAIL = 50;

const STOPPED_AT: Record<WaitTarget, string> = {
  kubernetes: 'ready',
  docker: "the node's Docker is ready",
  none: 'the node started',
};

/** Said once by every `up` on a cgroup v1 host. */
export const CGROUP_V1_WARNING =
  'this Docker host uses cgroup v1, which Kubernetes deprecated: kubelets from 1.35 on run on it only with ' +
  'failCgroupV1: false (the node sets it), and support is due to go; move CI to a cgroup v2 host';

/** Bring a node up and wait for it; on any failure remove what this call created. */
export async function up(docker: DockerClient, opts: UpOptions, log: Logger): Promise<UpResult> {
  const started = systemClock.now();
  const phases: PhaseTimings = {};
  // Independent look-ups, done at once: a taken name fails before anything is pulled.
  // Expired clusters go first, so an expired one no longer holds its name.
  const [daemon] = await Promise.all([
    docker.info(),
    reapExpired(docker, Math.floor(Date.now() / 1000), log).then(() => refuseTakenName(docker, opts.name)),
  ]);
  opts.onNameClaimed?.();
  if (daemon.CgroupVersion !== '2') log.warn(CGROUP_V1_WARNING);
  const image = await timed(phases, 'image', () => opts.resolveImage(opts.signal));
  throwIfAborted(opts.signal);
  let created: string | undefined;
  try {
    const spec = {
      cluster: opts.name,
      session: randomBytes(6).toString('hex'),
      image,
      ports: planPorts(opts.publish, opts.listenAddress),
      env: { ...remoteDaemonSans(docker), ...clusterOptionsEnv(opts.clusterOptions) },
      ...(opts.network ? { network: opts.network } : {}),
      cgroupVersion: daemon.CgroupVersion === '2' ? ('2' as const) : ('1' as const),
      expiresAt: expiryFor(Date.now(), opts.ttlMs),
      kubeconfig: opts.kubeconfigPath,
    };
    const node = await timed(phases, 'start', () =>
      startNode(docker, daemon.ID ?? 'unknown', spec, opts.privilege, opts.memo, log, (id) => {
        created = id;
      }),
    );
    throwIfAborted(opts.signal);
    opts.onStarted?.(node.id);
    const containerStarted = systemClock.now();
    const registry = opts.registry;
    // The login needs the node's Docker: with credentials, `none` waits for it.
    const waitFor = registry && opts.waitFor === 'none' ? 'docker' : opts.waitFor;
    const result = await waitForNode(docker, node.id, { ...opts, waitFor }, log);
    Object.assign(phases, result.phases);
    if (registry) await timed(phases, 'registry-login', () => loginInNode(docker, node.id, registry, log));
    // Written last: a failure before this point leaves no kubeconfig naming a removed node.
    if (result.kubeconfig) {
      await writeKubeconfig(opts.kubeconfigPath, result.kubeconfig, opts.mergeKubeconfig);
      log.info(`cluster "${opts.name}" is ready; kubeconfig: ${opts.kubeconfigPath}`);
    } else {
      log.info(`cluster "${opts.name}": ${STOPPED_AT[opts.waitFor]}; Kubernetes goes on booting`);
    }
    return {
      name: opts.name,
      containerId: node.id,
      kubeconfig: opts.kubeconfigPath,
      waitedFor: opts.waitFor,
      apiServer: result.apiServer,
      dockerHost: result.dockerHost,
      configUrl: `${result.readyUrl}/config`,
      readySeconds: round((systemClock.now() - containerStarted) / 1000),
      phases: { ...phases, total: round((systemClock.now() - started) / 1000) },
      privilege: node.mode,
    };
  } catch (err) {
    await cleanupAfterFailure(docker, created, err, opts, log);
    throw err;
  }
}

/** A NameTakenError naming the container that holds `name`, and how to remove it. */
export async function refuseTakenName(docker: DockerClient, name: string): Promise<void> {
  const existing = (await findNodes(docker, name))[0];
  if (!existing) return;
  throw new NameTakenError(
    `a cluster named "${clusterOf(existing)}" already exists on this Docker daemon ` +
      `(container ${existing.Id.slice(0, 12)}, ${existing.State}); ` +
      `choose another name, or remove it with: kind-action down --name ${name}`,
    { field: 'name' },
  );
}

async function waitForNode(docker: DockerClient, id: string, opts: UpOptions, log: Logger) {
  const info = await docker.inspectContainer(id);
  if (!info) throw new ContainerExitedError(`the node container ${id.slice(0, 12)} vanished`, '');
  const ep = nodeEndpoints(info, docker.endpoint);
  log.info(`waiting for ${containerName(opts.name)} (timeout ${Math.round(opts.timeoutMs / 1000)}s)`);
  try {
    const { timings, config } = await waitForReadiness(ep.readyUrl, opts.waitFor, {
      deadline: systemClock.now() + opts.timeoutMs,
      signal: opts.signal,
      guards: [new ContainerRunningProbe(docker, id)],
      onPending: (reason) => log.debug(`not ready: ${reason}`),
    });
    const kubeconfig =
      config === undefined ? undefined : rewriteKubeconfig(config, ep.apiServer, contextName(opts.name));
    return { ...ep, phases: timings, kubeconfig };
  } catch (err) {
    if (err instanceof FatalProbeError) {
      const tail = await docker.logs(id, LOG_TAIL).catch(() => '');
      throw new ContainerExitedError(err.message, tail);
    }
    throw err;
  }
}

async function cleanupAfterFailure(
  docker: DockerClient,
  id: string | undefined,
  err: unknown,
  opts: UpOptions,
  log: Logger,
): Promise<void> {
  if (!id) return;
  const interrupted = err instanceof InterruptedError;
  if (opts.retainOnFailure && !interrupted) {
    log.warn(
      `keeping the failed node ${id.slice(0, 12)} as asked; remove it with: kind-action down --name ${opts.name}`,
    );
    return;
  }
  if (!interrupted && !(err instanceof ContainerExitedError) && err instanceof KindActionError) {
    const tail = await docker.logs(id, LOG_TAIL).catch(() => '');
    if (tail) log.error(`last ${LOG_TAIL} log lines of the node:\n${tail}`);
  }
  try {
    await docker.removeContainer(id);
    log.info(`removed the node container ${id.slice(0, 12)}`);
  } catch (cleanupErr) {
    log.warn(
      `could not remove ${id.slice(0, 12)}: ${errorMessage(cleanupErr)}; run: kind-action down --name ${opts.name}`,
    );
  }
}

/**
 * With a tcp DOCKER_HOST the published ports live on that host, and the
 * kubeconfig names it: the node adds it to its API certificate.
 */
function remoteDaemonSans(docker: DockerClient): Record<string, string> {
  return docker.endpoint.kind === 'tcp' ? { KIND_EXTRA_SANS: docker.endpoint.host } : {};
}

async function timed<T>(phases: PhaseTimings, name: string, fn: () => Promise<T>): Promise<T> {
  const start = systemClock.now();
  const value = await fn();
  phases[name] = round((systemClock.now() - start) / 1000);
  return value;
}
