import { readFile } from 'node:fs/promises';
import * as core from '@actions/core';
import { nodeKubectl } from '../core/cluster/kubectl.js';
import { waitForCluster } from '../core/cluster/wait-name.js';
import { DockerClient } from '../core/docker/client.js';
import { readTextFile, resolveEndpoint } from '../core/docker/endpoint.js';
import { describeError, errorMessage } from '../core/errors.js';
import type { BootTimeline } from '../core/ready/node-status.js';
import { readRunEnv } from '../core/run-env.js';
import { trapSignals } from '../core/signals.js';
import { readHandoff } from './handoff.js';
import { getWaitInputs, inputName, type WaitInputs } from './inputs.js';
import { installKubectl } from './kubectl.js';
import { actionsLogger } from './logger.js';
import { kubeconfigSecrets } from './secrets.js';
import { bootOverlap, writeWaitSummary } from './summary.js';

/**
 * The wait sub-action (wait/action.yml): finish the start of a cluster the
 * main step left booting (`wait-for: docker` or `none`), write and export its
 * kubeconfig, or fail naming the readiness check that did not pass.
 */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const stepStarted = Date.now();
  const log = actionsLogger();
  let inputs: WaitInputs;
  try {
    inputs = getWaitInputs(readRunEnv(env).home);
  } catch (err) {
    core.setFailed(describeError(err, inputName));
    return;
  }
  const handoff = readHandoff(env, inputs.name);
  const signals = trapSignals(log);
  try {
    // The daemon main used: DOCKER_HOST may now name the node's own Docker.
    const docker = await DockerClient.connect(handoff?.endpoint ?? resolveEndpoint(env, readTextFile), log);
    // Main left kubectl to this step (install-kubectl): copied out while the cluster boots.
    const kubectl = handoff?.installKubectl
      ? installKubectl(docker, () => nodeKubectl(docker, inputs.name), env)
      : undefined;
    kubectl?.catch(() => {});
    const result = await waitForCluster(
      docker,
      {
        name: inputs.name,
        timeoutMs: inputs.timeoutMs,
        kubeconfigPath: inputs.kubeconfig,
        fallbackKubeconfig: inputs.fallbackKubeconfig,
        signal: signals.signal,
      },
      log,
    );
    await kubectl;
    const kubeconfig = result.kubeconfig ?? inputs.fallbackKubeconfig;
    for (const secret of kubeconfigSecrets(await readFile(kubeconfig, 'utf8'))) core.setSecret(secret);
    core.setOutput('kubeconfig', kubeconfig);
    core.setOutput('api-server', result.apiServer);
    core.setOutput('ready-seconds', String(result.readySeconds));
    core.exportVariable('KUBECONFIG', kubeconfig);
    const overlap =
      result.boot && bootOverlap(gapSeconds(stepStarted, handoff?.returnedAt, result.boot), result.boot);
    if (overlap) core.setOutput('boot-overlap-seconds', overlap.overlapped.toFixed(1));
    await writeWaitSummary(inputs.name, overlap).catch((err: unknown) =>
      core.warning(`job summary not written: ${errorMessage(err)}`),
    );
  } catch (err) {
    core.setFailed(describeError(err, inputName));
  } finally {
    signals.dispose();
  }
}

/**
 * Seconds between the main step's return and this step's start. Without the
 * main step's word (another tool started the node), main is taken to have
 * returned when the node's Docker first answered, as `wait-for: docker` does.
 */
function gapSeconds(stepStarted: number, mainReturned: number | undefined, boot: BootTimeline): number {
  if (mainReturned !== undefined) return Math.max(0, (stepStarted - mainReturned) / 1000);
  return Math.max(0, boot.waitStartedAt - (boot.dockerReadyAt ?? 0));
}
