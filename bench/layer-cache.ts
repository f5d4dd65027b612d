/**
 * bench/layer-cache: a node image with a preload image added, cached two
 * ways, one run each:
 *   1. whole: the node-image cache entry of the whole image (`docker export`,
 *      zstd), restored with `docker import`;
 *   2. top layers: only the layer above the published image (`docker save`
 *      without the published image's layers), restored with `docker load` on
 *      top of the published image, here already local (on a runner it is
 *      pulled first, which costs what the registry costs).
 * The baked node image stands in for the published one; the customization is
 * the product's own (customizeImage). Entry size and seconds to save and
 * restore each; the page cache is dropped before each restore (root).
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreImage, saveImage } from '../src/core/cache/image-cache.js';
import { restoreLayers, saveLayers } from '../src/core/cache/layer-cache.js';
import { LocalDirectoryStore } from '../src/core/cache/local-store.js';
import { PrivilegeMemo } from '../src/core/cluster/privilege.js';
import { DockerClient } from '../src/core/docker/client.js';
import { customizeImage } from '../src/core/image/customize.js';
import { DEFAULT_KUBERNETES, localNodeImage, resolveKubernetesVersion } from '../src/core/image/versions.js';
import { silentLogger } from '../src/core/logger.js';
import { execOk } from '../test/support/exec.js';
import useTempRoot from '../test/support/temp-root.js';
import { printTable, timeIt, writeJson } from './lib/report.js';

const VERSION = resolveKubernetesVersion(process.env.BENCH_K8S ?? DEFAULT_KUBERNETES);
const NODE = localNodeImage(VERSION);
const PRELOAD_MB = Number(process.env.BENCH_PRELOAD_MB ?? '20');
const suffix = randomBytes(4).toString('hex');
const PRELOAD = `ka-bench/preload:${suffix}`;
const CUSTOM = `${NODE}-cbench${suffix}`;
const PATH = process.env.PATH ?? '';

async function dropPageCache(): Promise<void> {
  await execOk('sync', []);
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
  } catch {
    process.stderr.write('(page cache not dropped: not root)\n');
  }
}

async function main(): Promise<void> {
  const docker = await DockerClient.connect(
    { kind: 'socket', socketPath: '/var/run/docker.sock', source: 'the benchmark' },
    silentLogger,
  );
  const base = await docker.inspectImage(NODE);
  if (!base) throw new Error(`${NODE} is not present: bake it first (kind-action build)`);
  const work = mkdtempSync(join(tmpdir(), 'ka-bench-layers-'));
  const store = new LocalDirectoryStore(join(work, 'store'));
  const opts = { store, workDir: join(work, 'entry'), toolPath: PATH };
  try {
    const ctx = mkdtempSync(join(tmpdir(), 'ka-bench-preload-'));
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY data /data\n');
    writeFileSync(join(ctx, 'data'), randomBytes(PRELOAD_MB * 1024 * 1024));
    await docker.buildImage(ctx, ['Dockerfile', 'data'], { tag: PRELOAD, labels: {} }, () => {});
    rmSync(ctx, { recursive: true, force: true });
    const customize = await timeIt(() =>
      customizeImage(
        docker,
        {
          base: NODE,
          basePinned: `${NODE}@${base.Id}`,
          tag: CUSTOM,
          preload: [PRELOAD],
          authFor: async () => undefined,
          privilege: 'auto',
          memo: PrivilegeMemo.inDir(work),
          signal: new AbortController().signal,
        },
        silentLogger,
      ),
    );
    const baseRef = { ref: NODE, repository: 'ka-bench/published', digest: base.Id };
    let wholeBytes = 0;
    let topBytes = 0;
    const wholeSave = await timeIt(async () => {
      const r = await saveImage(docker, CUSTOM, 'whole', opts, silentLogger);
      if (!r.saved) throw new Error(r.reason);
      wholeBytes = r.bytes;
    });
    const topSave = await timeIt(async () => {
      const r = await saveLayers(docker, CUSTOM, baseRef, 'top', opts, silentLogger);
      if (!r.saved) throw new Error(r.reason);
      topBytes = r.bytes;
    });
    await docker.removeImage(CUSTOM);
    await dropPageCache();
    const wholeRestore = await timeIt(async () => {
      const r = await restoreImage(docker, CUSTOM, { ...opts, key: 'whole', prefixes: [] }, silentLogger);
      if (!r.hit) throw new Error(r.reason);
    });
    await docker.removeImage(CUSTOM);
    await dropPageCache();
    const topRestore = await timeIt(async () => {
      const r = await restoreLayers(
        docker,
        CUSTOM,
        { ...opts, key: 'top', prefixes: [], ensureBase: async () => ({ ref: NODE }) },
        silentLogger,
      );
      if (!r.hit) throw new Error(r.reason);
    });
    const mb = (b: number): string => (b / 1024 ** 2).toFixed(1);
    printTable(
      `node image v${VERSION} + a ${PRELOAD_MB} MB preload image (customized in ${customize.toFixed(1)} s), one run`,
      ['entry', 'size', 'save', 'restore'],
      [
        [
          'whole image (export, zstd)',
          `${mb(wholeBytes)} MB`,
          `${wholeSave.toFixed(2)} s`,
          `${wholeRestore.toFixed(2)} s`,
        ],
        [
          'top layers (save, zstd)',
          `${mb(topBytes)} MB`,
          `${topSave.toFixed(2)} s`,
          `${topRestore.toFixed(2)} s`,
        ],
      ],
    );
    process.stdout.write(
      `top / whole: size ${(topBytes / wholeBytes).toFixed(3)}, restore ${(topRestore / wholeRestore).toFixed(3)}\n`,
    );
    writeJson('layer-cache', {
      version: VERSION,
      preloadMB: PRELOAD_MB,
      customizeSeconds: customize,
      whole: { bytes: wholeBytes, saveSeconds: wholeSave, restoreSeconds: wholeRestore },
      top: { bytes: topBytes, saveSeconds: topSave, restoreSeconds: topRestore },
    });
  } finally {
    await docker.removeImage(CUSTOM).catch(() => {});
    await docker.removeImage(PRELOAD).catch(() => {});
    rmSync(work, { recursive: true, force: true });
  }
}

process.on('exit', useTempRoot());
await main();
