import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { LocalDirectoryStore } from '../core/cache/local-store.js';
import type { CacheStore } from '../core/cache/store.js';
import { kubectlOfContainer } from '../core/cluster/kubectl.js';
import { exposureWarning } from '../core/cluster/placement.js';
import { PrivilegeMemo } from '../core/cluster/privilege.js';
import { type UpOptions, type UpResult, up } from '../core/cluster/up.js';
import { DockerClient } from '../core/docker/client.js';
import { readTextFile, resolveEndpoint } from '../core/docker/endpoint.js';
import { describeError, errorMessage } from '../core/errors.js';
import { type ImagePlan, planImage } from '../core/image/plan.js';
import { publishedSourceFor } from '../core/image/published.js';
import { imageResolver, type Resolution } from '../core/image/resolve.js';
import type { Logger } from '../core/logger.js';
import { imageDir, nodeArch } from '../core/package.js';
import { type RunEnv, readRunEnv } from '../core/run-env.js';
import { trapSignals } from '../core/signals.js';
import { ActionsCacheStore, runSaveKey } from './cache-store.js';
import { collectDiagnostics } from './diagnostics.js';
import { exportHandoff } from './handoff.js';
import { actionBake, actionCustomize } from './image.js';
import { getInputs, type Inputs, inputName } from './inputs.js';
import { installKubectl } from './kubectl.js';
import { actionsLogger } from './logger.js';
import { kubeconfigSecrets } from './secrets.js';
import { type MainState, saveMainState } from './state.js';
import { writeSummary } from './summary.js';

/** The main step: validate, find or bake the image, start, wait, publish. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = actionsLogger();
  const runEnv = readRunEnv(env);
  let inputs: Inputs;
  try {
    inputs = getInputs(runEnv.home);
  } catch (err) {
    core.setFailed(describeError(err, inputName));
    return;
  }
  const exposure = exposureWarning(inputs.listenAddress, 'listen-address');
  if (exposure) log.warn(exposure);
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
  let kubectlInstall: Promise<void> | undefined;
  try {
    const endpoint = resolveEndpoint(env, readTextFile);
    state.endpoint = endpoint;
    saveMainState(state);
    docker = await DockerClient.connect(endpoint, log);
    // Claimed inside `up`, once expired clusters are swept: an expired cluster
    // of this name is removed, not mistaken for someone else's.
    const claim = (): void => {
      state.owns = true;
      saveMainState(state);
    };
    // kubectl is copied out of the node while it boots; without the wait for
    // Kubernetes the wait step does it instead, so this step returns early.
    const onStarted = (id: string): void => {
      if (!docker || !inputs.installKubectl || inputs.waitFor !== 'kubernetes') return;
      const node = docker;
      kubectlInstall = installKubectl(node, () => kubectlOfContainer(node, id), env);
      kubectlInstall.catch(() => {});
    };
    const hooks = { onNameClaimed: claim, onStarted };
    const started = await startCluster(docker, inputs, runEnv, hooks, log, signals.signal);
    const { result, resolution, plan, store, workDir } = started;
    state.phase = 'ready';
    const save = saveRequest(resolution, plan, store, workDir, runEnv, env);
    if (save) state.save = save;
    saveMainState(state);
    await kubectlInstall;
    await publish(result, resolution, inputs);
    if (result.waitedFor !== 'kubernetes') {
      exportHandoff(inputs.name, { endpoint, returnedAt: Date.now(), installKubectl: inputs.installKubectl });
    }
  } catch (err) {
    await kubectlInstall?.catch(() => {});
    state.phase = 'failed';
    if (docker && state.owns) {
      await collectDiagnostics(docker, inputs.name, state.diagnosticsDir);
      state.diagnosed = true;
    }
    saveMainState(state);
    core.setFailed(describeError(err, inputName));
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

/** Plan the image and its cache key, then `up` with the core's image policy. */
async function startCluster(
  docker: DockerClient,
  inputs: Inputs,
  runEnv: RunEnv,
  hooks: Pick<UpOptions, 'onNameClaimed' | 'onStarted'>,
  log: Logger,
  signal: AbortSignal,
): Promise<Started> {
  const plan = inputs.image
    ? undefined
    : await planImage(docker, {
        k8sVersion: inputs.k8sVersion,
        kubeSource: inputs.kubeSource,
        preload: inputs.preloadImages,
        beforeCluster: inputs.beforeCluster,
        afterCluster: inputs.afterCluster,
        cacheKeySuffix: inputs.cacheKeySuffix,
        imageDir: imageDir(),
        arch: nodeArch(),
        repository: inputs.repository,
      });
  const store = inputs.cache && plan ? cacheStore(runEnv, log) : undefined;
  // Not under RUNNER_TEMP: the Actions cache matches entries by path, and
  // RUNNER_TEMP differs between jobs on some runners.
  const workDir = join(tmpdir(), 'kind-action-image', plan?.key ?? 'none');
  const published = await publishedSourceFor(
    inputs.k8sVersion,
    inputs.repository,
    inputs.registry,
    runEnv.dockerConfigFile,
  );
  const image = imageResolver(
    docker,
    {
      image: inputs.image,
      k8sVersion: inputs.k8sVersion,
      build: inputs.build,
      published,
      plan,
      cache: store ? { store, workDir, toolPath: runEnv.toolEnv.PATH ?? '' } : undefined,
      bake: actionBake(docker, inputs, runEnv, log),
      customize: plan?.layers ? actionCustomize(docker, inputs, runEnv, log) : undefined,
    },
    log,
  );
  const result = await up(
    docker,
    {
      name: inputs.name,
      resolveImage: image.resolve,
      timeoutMs: inputs.waitMs,
      ttlMs: inputs.ttlMs,
      waitFor: inputs.waitFor,
      kubeconfigPath: inputs.kubeconfig,
      mergeKubeconfig: true,
      publish: inputs.publish,
      listenAddress: inputs.listenAddress,
      ...(inputs.network ? { network: inputs.network } : {}),
      clusterOptions: inputs.clusterOptions,
      registry: inputs.registry,
      privilege: 'auto',
      memo: PrivilegeMemo.inDir(runEnv.stateDir),
      retainOnFailure: true,
      ...hooks,
      signal,
    },
    log,
  );
  const resolution = image.resolution();
  if (!resolution) throw new Error('the node image was never resolved');
  return { result, resolution, plan, store, workDir };
}

function cacheStore(env: RunEnv, log: Logger): CacheStore {
  if (ActionsCacheStore.available()) return new ActionsCacheStore(log);
  const dir = join(env.cacheDir, 'images');
  log.info(`the GitHub Actions cache is not available here; caching the node image in ${dir}`);
  return new LocalDirectoryStore(dir);
}

/**
 * Post saves the image when this run baked or pulled it and caching is on:
 * a customized published image as its own layers (under the top-layers key),
 * anything else whole.
 */
function saveRequest(
  resolution: Resolution,
  plan: ImagePlan | undefined,
  store: CacheStore | undefined,
  workDir: string,
  runEnv: RunEnv,
  env: NodeJS.ProcessEnv,
): MainState['save'] {
  if ((resolution.source !== 'bake' && resolution.source !== 'pull') || !plan || !store) return undefined;
  const actions = store instanceof ActionsCacheStore;
  const keyFor = (key: string): string => (actions ? runSaveKey(key, env) : key);
  const l = resolution.layers;
  const layers = l
    ? { base: { ref: l.ref, repository: l.repository, digest: l.digest }, wholeKey: keyFor(plan.key) }
    : undefined;
  const common = {
    ref: resolution.ref,
    key: keyFor(l ? l.key : plan.key),
    workDir,
    ...(layers ? { layers } : {}),
  };
  if (actions) return { ...common, store: 'actions' };
  return { ...common, store: 'local', localDir: join(runEnv.cacheDir, 'images') };
}

async function publish(result: UpResult, resolution: Resolution, inputs: Inputs): Promise<void> {
  const ready = result.waitedFor === 'kubernetes';
  if (ready) {
    const text = await readFile(result.kubeconfig, 'utf8');
    for (const secret of kubeconfigSecrets(text)) core.setSecret(secret);
  }
  // Without the wait for Kubernetes, the wait sub-action writes the kubeconfig there.
  core.setOutput('kubeconfig', result.kubeconfig);
  core.setOutput('api-server', result.apiServer);
  core.setOutput('docker-host', result.dockerHost);
  core.setOutput('cache-hit', String(resolution.cacheHit));
  if (ready) core.setOutput('ready-seconds', String(result.readySeconds));
  core.setOutput('image', resolution.ref);
  core.setOutput('image-source', resolution.source);
  if (ready) core.exportVariable('KUBECONFIG', result.kubeconfig);
  if (inputs.exportDockerHost) core.exportVariable('DOCKER_HOST', result.dockerHost);
  await writeSummary(result, resolution, inputs.k8sVersion).catch((err: unknown) =>
    core.warning(`job summary not written: ${errorMessage(err)}`),
  );
}
