import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, execOk } from '../../test/support/exec.js';
import { printTable } from './report.js';

/**
 * The cost of the node's addons (the storage provisioner and the
 * NetworkPolicy controller): the same baked image started with them and
 * without them (KIND_NO_STORAGE=1 KIND_NO_NETWORK_POLICY=1, read by the node's
 * agent at start), compared by a (/kubernetes-ready) and idle memory; the
 * runs of the two alternate, so a load that changes during the benchmark
 * weighs on both alike.
 * Targets (issue: storage and NetworkPolicy): a grows by <= 10 %, idle memory by <= 60 MiB.
 */
export const ADDON_TARGETS = { readyGrowth: 0.1, idleMiB: 60 };
export const NO_ADDONS_ENV = { KIND_NO_STORAGE: '1', KIND_NO_NETWORK_POLICY: '1' };

export interface Started {
  /** median seconds to /kubernetes-ready */
  ready: number;
  idleMiB: number;
}

export interface AddonCost {
  version: string;
  with: Started;
  without: Started;
  readyGrowth: number;
  idleDeltaMiB: number;
  met: { ready: boolean; idle: boolean };
}

/**
 * Measure `image` with and without its addons with `measure` (given both
 * images, it alternates their runs), the second through a tag that only adds
 * the switches' environment; the tag is removed afterwards.
 */
export async function addonCost(
  version: string,
  image: string,
  measure: (images: [string, string]) => Promise<[Started, Started]>,
): Promise<AddonCost> {
  const tag = `ka-bench/node-no-addons:v${version}`;
  const ctx = await mkdtemp(join(tmpdir(), 'ka-no-addons-'));
  try {
    const envLine = Object.entries(NO_ADDONS_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${image}\nENV ${envLine}\n`);
    await execOk('docker', ['build', '-q', '-t', tag, ctx]);
    const [withAddons, without] = await measure([image, tag]);
    const readyGrowth = withAddons.ready / without.ready - 1;
    const idleDeltaMiB = withAddons.idleMiB - without.idleMiB;
    return {
      version,
      with: withAddons,
      without,
      readyGrowth,
      idleDeltaMiB,
      met: { ready: readyGrowth <= ADDON_TARGETS.readyGrowth, idle: idleDeltaMiB <= ADDON_TARGETS.idleMiB },
    };
  } finally {
    await rm(ctx, { recursive: true, force: true });
    await exec('docker', ['rmi', tag]);
  }
}

export function reportAddonCost(c: AddonCost, runs: number): void {
  const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
  printTable(
    `addons: storage provisioner + NetworkPolicy controller, v${c.version} (a: medians of ${runs})`,
    ['what', 'a: ready', 'idle memory'],
    [
      ['with (default)', `${c.with.ready.toFixed(2)}s`, `${c.with.idleMiB.toFixed(0)} MiB`],
      [
        'without (KIND_NO_STORAGE=1 KIND_NO_NETWORK_POLICY=1)',
        `${c.without.ready.toFixed(2)}s`,
        `${c.without.idleMiB.toFixed(0)} MiB`,
      ],
      [
        'cost',
        `${(c.readyGrowth * 100).toFixed(1)} % (<= ${ADDON_TARGETS.readyGrowth * 100} %: ${met(c.met.ready)})`,
        `${c.idleDeltaMiB.toFixed(0)} MiB (<= ${ADDON_TARGETS.idleMiB}: ${met(c.met.idle)})`,
      ],
    ],
  );
}
