import * as core from '@actions/core';
import type { DockerEndpoint } from '../core/docker/endpoint.js';

const KEY = 'kind-action';

/** What main tells post (through GITHUB_STATE). */
export interface MainState {
  name: string;
  keep: boolean;
  diagnosticsDir: string;
  /** starting: main began creating things; ready: the cluster answered; failed: main failed. */
  phase: 'starting' | 'ready' | 'failed';
  /**
   * The daemon main used. Post must not resolve it again: main exported
   * DOCKER_HOST pointing at the node's own daemon, and later steps see it.
   */
  endpoint?: DockerEndpoint;
  /** main found the name free, so the cluster of that name is this job's to tear down. */
  owns: boolean;
  /** main already wrote diagnostics (post does not repeat them). */
  diagnosed: boolean;
  /** Set when this run baked the image: post saves it to the cache. */
  save?: {
    ref: string;
    key: string;
    workDir: string;
    store: 'actions' | 'local';
    localDir?: string;
    /** The image is a published one plus its own layers: save those (`key`), else the whole image (`wholeKey`). */
    layers?: { base: { ref: string; repository: string; digest: string }; wholeKey: string };
  };
}

export function saveMainState(state: MainState): void {
  core.saveState(KEY, JSON.stringify(state));
}

/** The state main left, or undefined when main never got as far as writing it. */
export function readMainState(): MainState | undefined {
  const raw = core.getState(KEY);
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<MainState>;
    if (typeof parsed.name !== 'string' || typeof parsed.diagnosticsDir !== 'string') return undefined;
    return {
      name: parsed.name,
      keep: parsed.keep === true,
      diagnosticsDir: parsed.diagnosticsDir,
      phase: parsed.phase === 'ready' || parsed.phase === 'failed' ? parsed.phase : 'starting',
      owns: parsed.owns === true,
      diagnosed: parsed.diagnosed === true,
      ...(parsed.endpoint ? { endpoint: parsed.endpoint } : {}),
      ...(parsed.save ? { save: parsed.save } : {}),
    };
  } catch {
    return undefined;
  }
}
