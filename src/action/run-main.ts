import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { type CliEnv, readEnv } from '../cli/inputs.js';
import { trapSignals } from '../cli/session.js';
import { LocalDirectoryStore } from '../core/cache/local-store.js';
import type { CacheStore } from '../core/cache/store.js';
import { PrivilegeMemo } from '../core/cluster/privilege.js';
import { refuseTakenName, type UpResult, up } from '../core/cluster/up.js';
import { DockerClient } from '../core/docker/client.js';
import { readTextFile, resolveEndpoint } from '../core/docker/endpoint.js';
import { errorMessage, NameTakenError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { ActionsCacheStore, runSaveKey } from './cache-store.js';
import { collectDiagnostics } from './diagnostics.js';
import { type ImagePlan, planImage, type Resolution, resolveImage } from './image.js';
import { getInputs, type Inputs } from './inputs.js';
import { actionsLogger } from './logger.js';
import { kubeconfigSecrets } from './secrets.js';
import { type MainState, saveMainState } from './state.js';
import { writeSummary } from './summary.js';

/** The main step: validate, find or bake the image, start, wait, publish. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = actionsLogger();
  let inputs: Inputs;
  try {
    inputs = getInputs(env);
  } catch (err) {
    core.setFailed(errorMessage(err));
    return;
  }
  const cliEnv = readEnv(env);
  const temp = env.RUNNER_TEMP || tmpdir();
  const state: MainState = {
    name: inputs.name,
    keep: inputs.keep,
    diagnosticsDir: join(temp, `kind-action-diagnostics-${inputs.name}`),
    phase: 'starting',
    owns: false,
    diagnosed: false,
  };
  // Before anything exists, so post tears down whatever this step leaves.
  saveMainState(state);
  core.setOutput('cluster-name', inputs.name);
  core.setOutput('diagnostics-dir', state.diagnosticsDir);
  const signals = trapSignals(log);
  let docker: DockerClient | undefined;
  try {
    const endpoint = resolveEndpoint(env, readTextFile);
    state.endpoint = endpoint;
    saveMainState(state);
    docker = await DockerClient.connect(endpoint, log);
    await claimName(docker, inputs.name);
    state.owns = true;
    saveMainState(state);
    const started = await startCluster(docker, inputs, cliEnv, log, signals.signal);
    const { result, resolution, plan, store, workDir } = started;
    state.phase = 'ready';
    const save = saveRequest(resolution, plan, store, workDir, cliEnv, env);
    if (save) state.save = save;
    saveMainState(state);
    await publish(result, resolution, inputs);
  } catch (err) {
    state.phase = 'failed';
    if (docker && state.owns) {
      await collectDiagnostics(docker, inputs.name, state.diagnosticsDir);
      state.diagnosed = true;
    }
    saveMainState(state);
    core.setFailed(errorMessage(err));
  } finally {
    signals.dispose();
  }
}

interface Started {
  result: UpResult;
  resolution: Resolution;
  plan: ImagePlan | undefined;
  store: CacheStore | undefined;
  workDir: string;
}

/** Plan the image and its cache key, then `up` with the Action's image order. */
async function startCluster(
  docker: DockerClient,
  inputs: Inputs,
  cliEnv: CliEnv,
  log: Logger,
  signal: AbortSignal,
): Promise<Started> {
  const plan = inputs.image ? undefined : await planImage(docker, inputs);
  const store = inputs.cache && plan ? cacheStore(cliEnv, log) : undefined;
  // Not under RUNNER_TEMP: the Actions cache matches entries by path, and
  // RUNNER_TEMP differs between jobs on some runners.
  const workDir = join(tmpdir(), 'kind-action-image', plan?.key ?? 'none');
  let resolution: Resolution | undefined;
  const result = await up(
    docker,
    {
      name: inputs.name,
      resolveImage: async (imageSignal) => {
        resolution = await resolveImage(
          { docker, inputs, plan, store, workDir, env: cliEnv, log },
          imageSignal,
        );
        return resolution.ref;
      },
      timeoutMs: inputs.waitMs,
      ttlMs: inputs.ttlMs,
      kubeconfigPath: inputs.kubeconfig,
      mergeKubeconfig: false,
      publish: [],
      listenAddress: '127.0.0.1',
      registry: inputs.registry,
      privilege: 'auto',
      memo: PrivilegeMemo.inDir(cliEnv.stateDir),
      retainOnFailure: true,
      signal,
    },
    log,
  );
  if (!resolution) throw new Error('the node image was never resolved');
  return { result, resolution, plan, store, workDir };
}

/** Refuse a name another job or person is using: post would otherwise remove their cluster. */
async function claimName(docker: DockerClient, name: string): Promise<void> {
  await refuseTakenName(docker, name).catch((err: unknown) => {
    // The Action's errors name the input; Docker failures pass through unchanged.
    throw err instanceof NameTakenError ? new NameTakenError(`name: ${err.message}`) : err;
  });
}

function cacheStore(env: CliEnv, log: Logger): CacheStore {
  if (ActionsCacheStore.available()) return new ActionsCacheStore(log);
  const dir = join(env.cacheDir, 'images');
  log.info(`the GitHub Actions cache is not available here; caching the node image in ${dir}`);
  return new LocalDirectoryStore(dir);
}

/** Post saves the image only when this run baked it and caching is on. */
function saveRequest(
  resolution: Resolution,
  plan: ImagePlan | undefined,
  store: CacheStore | undefined,
  workDir: string,
  cliEnv: CliEnv,
  env: NodeJS.ProcessEnv,
): MainState['save'] {
  if (resolution.source !== 'bake' || !plan || !store) return undefined;
  if (store instanceof ActionsCacheStore) {
    return { ref: resolution.ref, key: runSaveKey(plan.key, env), workDir, store: 'actions' };
  }
  return {
    ref: resolution.ref,
    key: plan.key,
    workDir,
    store: 'local',
    localDir: join(cliEnv.cacheDir, 'images'),
  };
}

async function publish(result: UpResult, resolution: Resolution, inputs: Inputs): Promise<void> {
  const text = await readFile(result.kubeconfig, 'utf8');
  for (const secret of kubeconfigSecrets(text)) core.setSecret(secret);
  core.setOutput('kubeconfig', result.kubeconfig);
  core.setOutput('api-server', result.apiServer);
  core.setOutput('docker-host', result.dockerHost);
  core.setOutput('cache-hit', String(resolution.cacheHit));
  core.setOutput('ready-seconds', String(result.readySeconds));
  core.setOutput('image', resolution.ref);
  core.exportVariable('KUBECONFIG', result.kubeconfig);
  if (inputs.exportDockerHost) core.exportVariable('DOCKER_HOST', result.dockerHost);
  await writeSummary(result, resolution, inputs.k8sVersion).catch((err: unknown) =>
    core.warning(`job summary not written: ${errorMessage(err)}`),
  );
}
