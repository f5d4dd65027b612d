import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as core from '@actions/core';
import { nodeEndpoints } from '../core/cluster/endpoints.js';
import { findNodes } from '../core/cluster/find.js';
import type { DockerClient } from '../core/docker/client.js';
import { execInNode } from '../core/docker/exec.js';
import { errorMessage } from '../core/errors.js';
import { HttpProbe } from '../core/ready/http-probe.js';

const ADMIN = ['kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', '--request-timeout=10s'];
const LOG_LINES_SHOWN = 200;

/** One piece of evidence: a file in the directory and a group in the log. */
interface Item {
  title: string;
  file: string;
  collect: () => Promise<string>;
  /** Only the last lines go to the log (the file has everything). */
  tail?: number;
}

/**
 * Write what explains a failed cluster to `dir` and to the log, each piece in
 * a collapsible group: node logs, /status, nodes and pods, events, and a
 * describe of every pod that is not ready. Each piece fails on its own, as a
 * note in its file; this function never throws.
 */
export async function collectDiagnostics(
  docker: DockerClient,
  cluster: string,
  dir: string,
): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true });
    const node = (await findNodes(docker, cluster))[0];
    if (!node) {
      await writeFile(join(dir, 'README.txt'), `no node container of cluster "${cluster}" exists\n`);
      core.info(`diagnostics: no node container of cluster "${cluster}" exists`);
      return [];
    }
    const items = nodeItems(docker, node.Id, node.State === 'running');
    const written: string[] = [];
    for (const item of items) {
      const text = await item.collect().catch((err: unknown) => `(not available: ${errorMessage(err)})\n`);
      await writeFile(join(dir, item.file), text);
      written.push(item.file);
      core.startGroup(`kind-action diagnostics: ${item.title}`);
      core.info(item.tail ? lastLines(text, item.tail) : text);
      core.endGroup();
    }
    core.info(`diagnostics written to ${dir}`);
    return written;
  } catch (err) {
    core.warning(`diagnostics could not be collected: ${errorMessage(err)}`);
    return [];
  }
}

function nodeItems(docker: DockerClient, id: string, running: boolean): Item[] {
  const kubectl = async (args: string[]): Promise<string> => {
    if (!running) return '(the node container is not running)\n';
    const r = await execInNode(docker, id, [...ADMIN, ...args]);
    return r.code === 0 ? r.output : `(exit ${r.code})\n${r.output}`;
  };
  return [
    {
      title: 'node container logs',
      file: 'node.log',
      tail: LOG_LINES_SHOWN,
      collect: () => docker.logs(id, 'all'),
    },
    { title: 'readiness /status', file: 'status.json', collect: () => readinessStatus(docker, id) },
    {
      title: 'kubectl get nodes,pods -A -o wide',
      file: 'nodes-pods.txt',
      collect: () => kubectl(['get', 'nodes,pods', '-A', '-o', 'wide']),
    },
    {
      title: 'events',
      file: 'events.txt',
      collect: () => kubectl(['get', 'events', '-A', '--sort-by=.lastTimestamp']),
    },
    {
      title: 'describe of pods that are not ready',
      file: 'describe-not-ready.txt',
      collect: async () => {
        const list = await kubectl(['get', 'pods', '-A', '-o', 'json']);
        const pods = notReadyPods(list);
        if (pods === undefined) return list;
        if (pods.length === 0) return '(every pod is ready)\n';
        const parts = await Promise.all(pods.map((p) => kubectl(['describe', 'pod', '-n', p.ns, p.name])));
        return parts.join('\n---\n');
      },
    },
  ];
}

async function readinessStatus(docker: DockerClient, id: string): Promise<string> {
  const info = await docker.inspectContainer(id);
  if (!info) return '(the node container is gone)\n';
  const ep = nodeEndpoints(info, docker.endpoint);
  const r = await new HttpProbe('status', `${ep.readyUrl}/status`).check(AbortSignal.timeout(5000));
  return r.ok ? r.value : `(${r.reason})\n`;
}

interface PodList {
  items?: {
    metadata?: { namespace?: string; name?: string };
    status?: { conditions?: { type?: string; status?: string }[] };
  }[];
}

/** Pods whose Ready condition is not True; undefined when the text is not a pod list. */
export function notReadyPods(json: string): { ns: string; name: string }[] | undefined {
  let list: PodList;
  try {
    list = JSON.parse(json) as PodList;
  } catch {
    return undefined;
  }
  return (list.items ?? [])
    .filter((p) => !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((p) => ({ ns: p.metadata?.namespace ?? 'default', name: p.metadata?.name ?? '' }))
    .filter((p) => p.name !== '');
}

function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  return lines.length <= n ? text : `(last ${n} of ${lines.length} lines)\n${lines.slice(-n).join('\n')}`;
}
