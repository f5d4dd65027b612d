import * as core from '@actions/core';
import type { UpResult } from '../core/cluster/up.js';
import type { Resolution } from '../core/image/resolve.js';

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
  await core.summary
    .addHeading(`Kubernetes cluster "${result.name}" ready in ${fmt(result.phases.total ?? 0)}s`, 3)
    .addTable(table)
    .addList([
      `Kubernetes v${k8sVersion}, node image <code>${resolution.ref}</code> (${SOURCE_TEXT[resolution.source]})`,
      `cache hit: ${resolution.cacheHit ? 'yes' : 'no'}`,
      `privilege mode: ${result.privilege}`,
      `API server: ${result.apiServer}; Docker: ${result.dockerHost}`,
    ])
    .write();
}

function fmt(seconds: number): string {
  return seconds.toFixed(1);
}
