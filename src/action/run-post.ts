import * as core from '@actions/core';
import { saveImage } from '../core/cache/image-cache.js';
import { saveLayers } from '../core/cache/layer-cache.js';
import { LocalDirectoryStore } from '../core/cache/local-store.js';
import type { CacheStore } from '../core/cache/store.js';
import { down } from '../core/cluster/down.js';
import { DockerClient } from '../core/docker/client.js';
import { readTextFile, resolveEndpoint } from '../core/docker/endpoint.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { ActionsCacheStore } from './cache-store.js';
import { collectDiagnostics } from './diagnostics.js';
import { actionsLogger } from './logger.js';
import { type MainState, readMainState } from './state.js';

/**
 * The post step: diagnostics when the job failed, teardown by label unless
 * `keep`, then the cache save when this run baked the image. Only warns.
 */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = actionsLogger();
  const state = readMainState();
  if (!state?.owns) {
    core.info('kind-action: main started no cluster; nothing to clean up');
    return;
  }
  try {
    // The daemon main used; the environment now names the node's own Docker.
    const docker = await DockerClient.connect(state.endpoint ?? resolveEndpoint(env, readTextFile), log);
    const jobStatus = core.getInput('job-status').trim().toLowerCase();
    if (needsDiagnostics(state, jobStatus)) {
      await collectDiagnostics(docker, state.name, state.diagnosticsDir);
    }
    if (state.keep) core.info(`keep: true; leaving cluster "${state.name}" running`);
    else await teardown(docker, state.name, log);
    if (state.save && state.phase === 'ready' && jobStatus !== 'cancelled') {
      await saveToCache(docker, state.save, env.PATH ?? '', log);
    }
  } catch (err) {
    core.warning(`kind-action post: ${errorMessage(err)}`);
  }
}

/** Diagnose when the job did not succeed, unless main already did for its own failure. */
export function needsDiagnostics(state: Pick<MainState, 'phase' | 'diagnosed'>, jobStatus: string): boolean {
  if (state.diagnosed) return false;
  if (state.phase !== 'ready') return true;
  return jobStatus !== '' && jobStatus !== 'success';
}

async function teardown(docker: DockerClient, name: string, log: Logger): Promise<void> {
  try {
    const result = await down(docker, name, log);
    core.info(
      `removed ${result.containers} container(s), ${result.volumes} volume(s), ${result.networks} network(s) of cluster "${name}"`,
    );
  } catch (err) {
    core.warning(`teardown of cluster "${name}" failed: ${errorMessage(err)}`);
  }
}

async function saveToCache(
  docker: DockerClient,
  save: NonNullable<MainState['save']>,
  toolPath: string,
  log: Logger,
): Promise<void> {
  const store: CacheStore =
    save.store === 'actions' ? new ActionsCacheStore(log) : new LocalDirectoryStore(save.localDir ?? '');
  const opts = { store, workDir: save.workDir, toolPath };
  let wholeKey = save.key;
  if (save.layers) {
    const top = await saveLayers(docker, save.ref, save.layers.base, save.key, opts, log);
    if (top.saved) return;
    if (!top.wholeImage) {
      core.warning(`the node image was not cached: ${top.reason}`);
      return;
    }
    core.warning(`the node image is cached whole: ${top.reason}`);
    wholeKey = save.layers.wholeKey;
  }
  const result = await saveImage(docker, save.ref, wholeKey, opts, log);
  if (!result.saved) core.warning(`the node image was not cached: ${result.reason}`);
}
