import * as core from '@actions/core';
import type { UpResult } from '../core/cluster/up.js';
import type { Resolution } from '../core/image/resolve.js';
import type { BootTimeline } from '../core/ready/node-status.js';

const SOURCE_TEXT: Record<Resolution['source'], string> = {
  given: 'the image input',
  local: 'already on this runner',
  cache: 'restored from the cache',
  pull: 'pulled',
  bake: 'baked in this job',
};

/** The rows of the job summary's timing table: each phase in seconds, then the total. */
export function phaseRows(result: UpResult, resolution: Resolution): [string, string][] {
  const rows: [string, string][] = [];
  for (const [step, seconds] of Object.entries(resolution.steps)) rows.push([`image: ${step}`, fmt(seconds)]);
  for (const [phase, seconds] of Object.entries(result.phases)) {
    if (phase !== 'total') rows.push([phase, fmt(seconds)]);
  }
  rows.push(['total', fmt(result.phases.total ?? 0)]);
  return rows;
}

export async function writeSummary(
  result: UpResult,
  resolution: Resolution,
  k8sVersion: string,
): Promise<void> {
  const table = [
    [
      { data: 'phase', header: true },
      { data: 'seconds', header: true },
    ],
    ...phaseRows(result, resolution),
  ];
  const heading =
    result.waitedFor === 'kubernetes'
      ? `Kubernetes cluster "${result.name}" ready in ${fmt(result.phases.total ?? 0)}s`
      : `Kubernetes cluster "${result.name}" started in ${fmt(result.phases.total ?? 0)}s (wait-for: ${result.waitedFor}); it boots while the next steps run`;
  await core.summary
    .addHeading(heading, 3)
    .addTable(table)
    .addList([
      `Kubernetes v${k8sVersion}, node image <code>${resolution.ref}</code> (${SOURCE_TEXT[resolution.source]})`,
      `cache hit: ${resolution.cacheHit ? 'yes' : 'no'}`,
      `privilege mode: ${result.privilege}`,
      `API server: ${result.apiServer}; Docker: ${result.dockerHost}`,
    ])
    .write();
}

/**
 * How much of the node's boot ran alongside the user's steps: from main's
 * return to the wait step's start (`gapSeconds`, on the runner's clock),
 * set against the node's own timeline (seconds since it started).
 */
export interface BootOverlap {
  /** Seconds of the boot after main returned and before the wait step began. */
  overlapped: number;
  /** Seconds the wait step still waited for Kubernetes. */
  waited: number;
  /** Seconds from the node's start to Kubernetes ready. */
  kubernetesReadyAt: number;
}

export function bootOverlap(gapSeconds: number, boot: BootTimeline): BootOverlap | undefined {
  const k = boot.kubernetesReadyAt;
  if (k === undefined) return undefined;
  const mainReturnedAt = Math.max(0, boot.waitStartedAt - gapSeconds);
  return {
    overlapped: Math.max(0, Math.min(k, boot.waitStartedAt) - mainReturnedAt),
    waited: Math.max(0, k - boot.waitStartedAt),
    kubernetesReadyAt: k,
  };
}

export async function writeWaitSummary(name: string, overlap: BootOverlap | undefined): Promise<void> {
  const lines = overlap
    ? [
        `Kubernetes was ready ${fmt(overlap.kubernetesReadyAt)}s after the node started.`,
        `${fmt(overlap.overlapped)}s of its boot ran alongside your steps (between kind-action and this wait step); this step waited ${fmt(overlap.waited)}s more.`,
      ]
    : ['The node did not report its boot timeline (no /status), so the overlap is unknown.'];
  await core.summary.addHeading(`Kubernetes cluster "${name}" ready`, 3).addList(lines).write();
}

function fmt(seconds: number): string {
  return seconds.toFixed(1);
}
