import Docker from 'dockerode';
import { docker } from './docker.js';
import { kubectl } from './kubectl.js';

/**
 * A node of ours used as the host cluster of another: its Docker daemon is
 * the kubelet's image store, so an image loaded there is one its pods run.
 */

/** The node's Docker API from `up --json`'s dockerHost (tcp://127.0.0.1:PORT). */
export function nodeDocker(dockerHost: string): Docker {
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port) });
}

/** `docker save` here piped into `docker load` there, then tagged as `as` there. */
export async function copyImage(to: Docker, ref: string, as: string = ref): Promise<void> {
  const tar = await docker.getImage(ref).get();
  const progress = await to.loadImage(tar);
  await new Promise<void>((resolve, reject) =>
    to.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())),
  );
  if (as !== ref) {
    const [repo, tag] = [as.slice(0, as.lastIndexOf(':')), as.slice(as.lastIndexOf(':') + 1)];
    await to.getImage(ref).tag({ repo, tag });
  }
}

/** Poll until the default ServiceAccount of a new namespace exists (pods need it). */
export async function waitForDefaultServiceAccount(
  kubeBin: string,
  kubeconfig: string,
  ns: string,
): Promise<void> {
  for (let i = 0; i < 60; i++) {
    if ((await kubectl(kubeBin, kubeconfig, ['-n', ns, 'get', 'serviceaccount', 'default'])).code === 0)
      return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`namespace ${ns}: no default ServiceAccount after 60s`);
}

export interface ContainerEnd {
  exitCode: number;
  reason: string;
}

/** The terminated state of one container of a pod, or undefined while it runs. */
export async function containerEnd(
  kubeBin: string,
  kubeconfig: string,
  ns: string,
  pod: string,
  container: string,
): Promise<ContainerEnd | undefined> {
  const r = await kubectl(kubeBin, kubeconfig, ['-n', ns, 'get', 'pod', pod, '-o', 'json']);
  if (r.code !== 0) return undefined;
  const status = JSON.parse(r.stdout) as {
    status?: { containerStatuses?: { name: string; state?: { terminated?: ContainerEnd } }[] };
  };
  return status.status?.containerStatuses?.find((c) => c.name === container)?.state?.terminated;
}

/** What a failing test prints: the pod's description and each container's log tail. */
export async function podReport(
  kubeBin: string,
  kubeconfig: string,
  ns: string,
  pod: string,
  containers: string[],
): Promise<string> {
  const parts = [(await kubectl(kubeBin, kubeconfig, ['-n', ns, 'describe', 'pod', pod])).stdout];
  for (const c of containers) {
    const r = await kubectl(kubeBin, kubeconfig, ['-n', ns, 'logs', pod, '-c', c, '--tail', '80']);
    parts.push(`--- ${c} ---\n${r.stdout}${r.stderr}`);
  }
  return parts.join('\n');
}
