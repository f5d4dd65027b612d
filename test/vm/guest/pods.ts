// One-off pods with resource limits, from the image built against the node.
import assert from 'node:assert/strict';
import { kubectlOk } from '../../support/kubectl.js';

export interface PodSpec {
  name: string;
  image: string;
  command: string[];
  limits: { memory: string; cpu: string };
}

export function podManifest(p: PodSpec): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: p.name },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'main',
          image: p.image,
          imagePullPolicy: 'Never',
          command: p.command,
          resources: { limits: p.limits, requests: p.limits },
        },
      ],
    },
  });
}

/** Start the pod, wait until it has ended (Succeeded or Failed), and return its phase, reason and log. */
export async function runPod(
  kubeBin: string,
  kubeconfig: string,
  p: PodSpec,
): Promise<{ phase: string; reason: string; log: string }> {
  await kubectlOk(kubeBin, kubeconfig, ['apply', '-f', '-'], podManifest(p));
  let phase = '';
  for (let i = 0; i < 120 && phase !== 'Succeeded' && phase !== 'Failed'; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 2000));
    phase = await kubectlOk(kubeBin, kubeconfig, ['get', 'pod', p.name, '-o', 'jsonpath={.status.phase}']);
  }
  assert.ok(phase === 'Succeeded' || phase === 'Failed', `pod ${p.name} did not end (phase "${phase}")`);
  const reason = await kubectlOk(kubeBin, kubeconfig, [
    'get',
    'pod',
    p.name,
    '-o',
    'jsonpath={.status.containerStatuses[0].state.terminated.reason}',
  ]);
  const log = await kubectlOk(kubeBin, kubeconfig, ['logs', p.name]);
  return { phase, reason, log };
}
