import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { saveImage } from '../../src/core/cache/image-cache.js';
import { saveLayers } from '../../src/core/cache/layer-cache.js';
import { LocalDirectoryStore } from '../../src/core/cache/local-store.js';
import { DockerClient } from '../../src/core/docker/client.js';
import { layeredBase } from '../../src/core/image/layered.js';
import type { ImagePlan } from '../../src/core/image/plan.js';
import type { PublishedSource } from '../../src/core/image/published.js';
import { type ImageRequest, resolveImage } from '../../src/core/image/resolve.js';
import { DEFAULT_KUBERNETES, KUBERNETES_VERSIONS, publishedTag } from '../../src/core/image/versions.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { nodeArch } from '../../src/core/package.js';
import { docker } from '../support/docker.js';
import { fakeNodeImage } from '../support/fake-node.js';
import { archiveEntries } from '../support/layers.js';
import { type RunningRegistry, startRegistry } from '../support/registry.js';

/**
 * The top-layers cache against the real daemon and a real registry (on a
 * random 127.0.0.1 port), with a small image standing in for the published
 * node: an image built on it is saved as the layers above it alone, restored
 * on top of the base pulled again by digest, and a damaged archive is refused
 * before anything is loaded. (The real node, customized with a preload and
 * booted, is test/e2e/layer-cache.test.ts.)
 */
const V = KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '';
const TAG = publishedTag(V);
const REF = `kind-action/node:v${V}-ctest${randomBytes(4).toString('hex')}`;
const PATH = process.env.PATH ?? '';
let registry: RunningRegistry;
let client: DockerClient;
let repository = '';
let source: PublishedSource;
let storeDir = '';
let store: LocalDirectoryStore;
const work = mkdtempSync(join(tmpdir(), 'ka-layers-'));
const plan: ImagePlan = {
  ref: REF,
  key: `kind-action-node-whole-${randomBytes(4).toString('hex')}`,
  custom: true,
  layers: {
    toolVersion: '0.0.0-test',
    k8sVersion: V,
    arch: nodeArch(),
    preload: ['x/y:1'],
    hooks: {},
    suffix: '',
  },
};
const made: string[] = [];

/** The customization stand-in: the base plus one layer of random bytes (a new image each time). */
async function buildTop(base: string, tag: string): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), 'ka-layers-ctx-'));
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${base}\nCOPY top.bin /top.bin\n`);
  writeFileSync(join(ctx, 'top.bin'), randomBytes(256 * 1024));
  const events = await client.buildImage(ctx, ['Dockerfile', 'top.bin'], { tag, labels: {} }, () => {});
  rmSync(ctx, { recursive: true, force: true });
  const failed = events.find((e) => e.error);
  if (failed) throw new Error(failed.error);
}

async function resolve(customize: ImageRequest['customize']) {
  const warnings: string[] = [];
  const infos: string[] = [];
  const log: Logger = { ...silentLogger, warn: (m) => warnings.push(m), info: (m) => infos.push(m) };
  const cache = { store, workDir: join(work, 'entry'), toolPath: PATH };
  const req: ImageRequest = { k8sVersion: V, build: 'auto', plan, cache, published: source, customize };
  const result = await resolveImage(client, req, log, new AbortController().signal);
  return { result, warnings, infos };
}

async function removeLocally(): Promise<void> {
  for (const ref of [REF, `${repository}:${TAG}`, ...made]) await client.removeImage(ref);
}

beforeAll(async () => {
  registry = await startRegistry({
    publish: true,
    seed: [{ image: fakeNodeImage('ready'), ref: `ka-test/base:${TAG}` }],
  });
  repository = `127.0.0.1:${registry.hostPort}/ka-test/base`;
  source = { repository, digest: undefined, explicit: true, auth: undefined };
  client = await DockerClient.connect(
    { kind: 'socket', socketPath: '/var/run/docker.sock', source: 'the test' },
    silentLogger,
  );
  storeDir = mkdtempSync(join(tmpdir(), 'ka-layers-store-'));
  store = new LocalDirectoryStore(storeDir);
}, 300_000);

afterAll(async () => {
  await removeLocally().catch(() => {});
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(storeDir, { recursive: true, force: true });
});

describe('the layers above a published image, cached and restored', () => {
  let imageId = '';
  let key = '';

  test('first run: the base is pulled and customized (source bake); the entry holds none of its layers', async () => {
    const calls: string[] = [];
    const first = await resolve(async (base, tag) => {
      calls.push(base.pinned);
      await buildTop(base.ref, tag);
    });
    expect(first.result).toMatchObject({ ref: REF, source: 'bake', cacheHit: false });
    expect(first.result.layers?.repository).toBe(repository);
    expect(calls).toEqual([`${repository}@${first.result.layers?.digest}`]);
    key = first.result.layers?.key ?? '';
    expect(key).toMatch(/-layers-/);
    const layered = await layeredBase(client, source, V, plan, silentLogger);
    expect(layered?.key).toBe(key);
    made.push(`${repository}@${first.result.layers?.digest}`);

    const base = await docker.getImage(`${repository}:${TAG}`).inspect();
    const image = await docker.getImage(REF).inspect();
    imageId = image.Id;
    const baseLayers = base.RootFS.Layers ?? [];
    expect(image.RootFS.Layers?.slice(0, baseLayers.length)).toEqual(baseLayers);

    const layers = first.result.layers;
    if (!layers) throw new Error('no layers named');
    const saved = await saveLayers(
      client,
      REF,
      layers,
      key,
      { store, workDir: join(work, 'entry'), toolPath: PATH },
      silentLogger,
    );
    expect(saved).toMatchObject({ saved: true });
    const whole = await saveImage(
      client,
      REF,
      plan.key,
      { store, workDir: join(work, 'entry'), toolPath: PATH },
      silentLogger,
    );
    expect(whole).toMatchObject({ saved: true });
    if (!saved.saved || !whole.saved) return;

    // The archive's own bytes: no entry is one of the base's layers; the top layer is there.
    const { entries } = await archiveEntries(join(storeDir, key));
    const hashes = entries.map((e) => e.sha256);
    expect(baseLayers.length).toBeGreaterThan(0);
    for (const layer of baseLayers) expect(hashes).not.toContain(layer);
    expect(hashes).toContain(image.RootFS.Layers?.at(-1));
    expect(entries.map((e) => e.name)).toContain('manifest.json');
    // Much smaller than the whole image's entry.
    expect(saved.bytes * 4).toBeLessThan(whole.bytes);
    rmSync(join(storeDir, plan.key), { recursive: true, force: true });
  });

  test('a new runner: the base is pulled by digest, the top loaded, the same image (source cache)', async () => {
    await removeLocally();
    expect(await client.imageExists(`${repository}:${TAG}`)).toBe(false);
    const again = await resolve(async () => {
      throw new Error('customize must not run on a cache hit');
    });
    expect(again.result).toMatchObject({ ref: REF, source: 'cache', cacheHit: true });
    expect(again.warnings).toEqual([]);
    expect(again.infos.some((l) => l.startsWith(`pulling ${repository}:${TAG}`))).toBe(true);
    expect(again.infos.some((l) => l.startsWith('image path: the published'))).toBe(true);
    expect((await docker.getImage(REF).inspect()).Id).toBe(imageId);
  });

  test('a damaged archive is refused before loading (one warning, LayerIntegrityError), and the image is made again', async () => {
    await client.removeImage(REF);
    const { file } = await archiveEntries(join(storeDir, key));
    const bytes = readFileSync(file);
    const at = Math.floor(bytes.length / 2);
    bytes[at] = (bytes[at] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    expect(statSync(file).size).toBe(bytes.length);
    const customized: string[] = [];
    const r = await resolve(async (base, tag) => {
      // Nothing was loaded from the damaged entry.
      customized.push(String(await client.imageExists(tag)));
      await buildTop(base.ref, tag);
    });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(
      /^LayerIntegrityError: cache entry .* is corrupt or partial \(layers\.tar\.\w+ .* has sha256/,
    );
    expect(r.result).toMatchObject({ ref: REF, source: 'bake', cacheHit: false });
    expect(customized).toEqual(['false']);
    expect(readdirOrEmpty(storeDir)).not.toContain(key);
  });
});

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
