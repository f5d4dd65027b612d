import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { nodeCreateOptions } from '../../src/core/cluster/create-options.js';
import { demuxLogs } from '../../src/core/docker/demux.js';
import { resourceLabels } from '../../src/core/labels.js';
import { docker } from './docker.js';
import type { ResolvedJob } from './gitlab-config.js';

/**
 * Runs a resolved job the way GitLab Runner's executors lay it out, against
 * the real engine:
 * - `docker`: a user-defined network, the service attached with its alias, the
 *   job container on the same network (FF_NETWORK_PER_BUILD);
 * - `kubernetes`: the job container shares the service's network namespace,
 *   as containers of one pod do, and the alias does not resolve.
 * The service gets the job's variables plus its own, as GitLab passes them.
 * The node needs privileges; this machine cannot grant --privileged, so the
 * service runs with the same capability fallback `kind-action up` uses.
 */

export interface RunJobOptions {
  job: ResolvedJob;
  jobImage: string;
  executor: 'docker' | 'kubernetes';
  /** Kubernetes executor: map the service alias to 127.0.0.1 in /etc/hosts, as GitLab's host aliases do. */
  hostAliases?: boolean;
  /** Run this image for the job's first service (the fake node during development). */
  serviceImage?: string;
  /** Extra variables for the job only, as a user would set in their job. */
  jobVariables?: Record<string, string>;
  /** Commands appended after the job's script (the test's own checks). */
  extraScript?: string[];
  /** Leave out the job's script: run before_script and extraScript only. */
  skipScript?: boolean;
  binds?: string[];
  /** Kill the job after this long: a hang is a failure, never a stuck test. */
  deadlineMs?: number;
}

export interface JobResult {
  code: number;
  output: string;
  serviceLogs: string;
  seconds: number;
}

export const TEST_CLUSTER_PREFIX = 'gitlab-';

export async function runJob(opts: RunJobOptions): Promise<JobResult> {
  const service = opts.job.services[0];
  if (!service) throw new Error('the job has no service');
  const session = randomBytes(6).toString('hex');
  const cluster = `${TEST_CLUSTER_PREFIX}${session}`;
  const labels = resourceLabels(cluster, session);
  const jobVars = { ...opts.job.variables, ...opts.jobVariables };
  const created: { containers: Docker.Container[]; network?: Docker.Network } = { containers: [] };
  let hostsDir: string | undefined;
  try {
    let network: string | undefined;
    if (opts.executor === 'docker') {
      network = `kind-action-${cluster}`;
      created.network = await docker.createNetwork({ Name: network, Driver: 'bridge', Labels: labels });
    }
    const info = await docker.info();
    const nodeOptions = nodeCreateOptions({
      cluster,
      session,
      image: opts.serviceImage ?? service.name,
      privilege: 'fallback',
      ports: [],
      env: { ...jobVars, ...service.variables },
      cgroupVersion: info.CgroupVersion === '2' ? '2' : '1',
      ...(network ? { network } : {}),
    });
    if (network)
      nodeOptions.NetworkingConfig = { EndpointsConfig: { [network]: { Aliases: [service.alias] } } };
    const node = await docker.createContainer(nodeOptions);
    created.containers.push(node);
    await node.start();

    const binds = [...(opts.binds ?? [])];
    if (opts.executor === 'kubernetes' && opts.hostAliases) {
      hostsDir = mkdtempSync(join(tmpdir(), 'ka-hosts-'));
      writeFileSync(join(hostsDir, 'hosts'), `127.0.0.1 localhost\n127.0.0.1 ${service.alias}\n`);
      binds.push(`${join(hostsDir, 'hosts')}:/etc/hosts:ro`);
    }
    const lines = [
      ...opts.job.beforeScript,
      ...(opts.skipScript ? [] : opts.job.script),
      ...(opts.extraScript ?? []),
    ];
    const job = await docker.createContainer({
      name: `kind-action-${cluster}-job`,
      Image: opts.jobImage,
      // GitLab's generated script stops at the first failing command; sh is dash on Debian.
      Cmd: ['sh', '-c', ['set -e', ...lines].join('\n')],
      Env: Object.entries({ CI: 'true', GITLAB_CI: 'true', ...jobVars }).map(([k, v]) => `${k}=${v}`),
      Labels: labels,
      HostConfig: {
        NetworkMode: network ?? `container:${node.id}`,
        Binds: binds,
        AutoRemove: false,
      },
    });
    created.containers.push(job);
    const began = Date.now();
    await job.start();
    const code = await waitWithDeadline(job, opts.deadlineMs ?? 120_000);
    const seconds = (Date.now() - began) / 1000;
    const output = demuxLogs((await job.logs({ stdout: true, stderr: true, follow: false })) as Buffer);
    const serviceLogs = demuxLogs((await node.logs({ stdout: true, stderr: true, follow: false })) as Buffer);
    return { code, output, serviceLogs, seconds };
  } finally {
    for (const c of created.containers.reverse())
      await c.remove({ force: true, v: true }).catch(() => undefined);
    await created.network?.remove().catch(() => undefined);
    if (hostsDir) rmSync(hostsDir, { recursive: true, force: true });
  }
}

async function waitWithDeadline(container: Docker.Container, ms: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<number>((resolve) => {
    timer = setTimeout(() => resolve(-1), ms);
  });
  try {
    const code = await Promise.race([
      container.wait().then((r: { StatusCode: number }) => r.StatusCode),
      deadline,
    ]);
    if (code === -1) {
      await container.kill().catch(() => undefined);
      throw new Error(`the job did not finish within ${ms / 1000}s (a hang)`);
    }
    return code;
  } finally {
    clearTimeout(timer);
  }
}
