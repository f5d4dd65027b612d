import { join } from 'node:path';
import { type ExecResult, exec } from './exec.js';

/** Run the kubectl built with the node's binaries against a kubeconfig. */
export function kubectl(
  kubeBin: string,
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<ExecResult> {
  return exec(join(kubeBin, 'kubectl'), ['--kubeconfig', kubeconfig, '--request-timeout=30s', ...args], {
    ...(input === undefined ? {} : { input }),
  });
}

export async function kubectlOk(
  kubeBin: string,
  kubeconfig: string,
  args: string[],
  input?: string,
): Promise<string> {
  const r = await kubectl(kubeBin, kubeconfig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The Ready status of every node, space-separated ("True" for one ready node). */
export function nodesReady(kubeBin: string, kubeconfig: string): Promise<string> {
  return kubectlOk(kubeBin, kubeconfig, [
    'get',
    'nodes',
    '-o',
    'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}',
  ]);
}

/**
 * Run a one-off pod from a local image (`imagePullPolicy: Never`), wait until
 * it has succeeded, and return its log.
 */
export async function runPodToCompletion(
  kubeBin: string,
  kubeconfig: string,
  pod: { name: string; image: string; command: string[] },
): Promise<string> {
  await kubectlOk(kubeBin, kubeconfig, [
    'run',
    pod.name,
    `--image=${pod.image}`,
    '--image-pull-policy=Never',
    '--restart=Never',
    '--command',
    '--',
    ...pod.command,
  ]);
  await kubectlOk(kubeBin, kubeconfig, [
    'wait',
    `pod/${pod.name}`,
    '--for=jsonpath={.status.phase}=Succeeded',
    '--timeout=120s',
  ]);
  return kubectlOk(kubeBin, kubeconfig, ['logs', pod.name]);
}

/**
 * The seed's flow after the build: deploy hello-app (`imagePullPolicy: Never`)
 * with its Service, wait for the rollout, and fetch it by the Service's DNS
 * name from another pod. Returns that pod's log.
 */
export async function deployHelloAndFetchByDns(
  kubeBin: string,
  kubeconfig: string,
  manifest: string,
  image: string,
): Promise<string> {
  await kubectlOk(kubeBin, kubeconfig, ['apply', '-f', manifest]);
  await kubectlOk(kubeBin, kubeconfig, ['rollout', 'status', 'deployment/hello', '--timeout=120s']);
  return runPodToCompletion(kubeBin, kubeconfig, {
    name: 'client',
    image,
    command: ['/hello-app', 'fetch', 'http://hello.default.svc.cluster.local:8080/'],
  });
}
