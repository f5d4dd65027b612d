import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { describe, expect, test } from 'vitest';
import { gzipCodec } from '../../src/core/cache/codec.js';
import { verifyChecksum } from '../../src/core/cache/integrity.js';
import { cacheKey, type LayersKeyParts, layersKey } from '../../src/core/cache/key.js';
import {
  badLayersField,
  LAYERS_FORMAT,
  type LayersManifest,
  readLayersManifest,
  writeLayersManifest,
} from '../../src/core/cache/layer-manifest.js';
import { layersFile, readSavedImage, writeTopLayers } from '../../src/core/cache/layers.js';
import { usesContainerdStore } from '../../src/core/docker/image-transfer.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

const parts: LayersKeyParts = {
  toolVersion: '0.1.0',
  k8sVersion: '1.37.2',
  arch: 'amd64',
  baseRepository: 'ghcr.io/kind-action/kind-action-node',
  baseDigest: D('a'),
  preload: ['redis:7', 'postgres:16'],
  hooks: {},
  suffix: '',
};
const key = layersKey(parts);

describe('layersKey', () => {
  test('is readable, says it holds layers, and differs from the whole-image key', () => {
    expect(key).toMatch(/^kind-action-node-v1\.37\.2-layers-linux-amd64-t0\.1\.0-[a-f0-9]{20}$/);
    const whole = cacheKey({
      ...parts,
      kubeSource: 'release',
      recipe: 'a'.repeat(64),
      baseImages: [],
    });
    expect(key).not.toBe(whole);
  });

  const CHANGES: [string, Partial<LayersKeyParts>][] = [
    ['tool version', { toolVersion: '0.2.0' }],
    ['Kubernetes version', { k8sVersion: '1.36.3' }],
    ['architecture', { arch: 'arm64' }],
    ['base repository (a mirror)', { baseRepository: 'mirror.example/node' }],
    ['base digest', { baseDigest: D('b') }],
    ['a preload image', { preload: ['redis:7'] }],
    ['a hook', { hooks: { 'after-cluster': 'c'.repeat(64) } }],
    ['suffix', { suffix: 'v2' }],
  ];
  test.each(CHANGES)('changes with the %s', (_, change) => {
    expect(layersKey({ ...parts, ...change })).not.toBe(key);
  });

  test('every part is among the changes tried', () => {
    const tried = new Set(CHANGES.flatMap(([, change]) => Object.keys(change)));
    expect([...tried].sort()).toEqual(Object.keys(parts).sort());
  });

  test('preload order and repeats do not matter', () => {
    expect(layersKey({ ...parts, preload: ['postgres:16', 'redis:7', 'redis:7'] })).toBe(key);
  });
});

const manifest: LayersManifest = {
  format: LAYERS_FORMAT,
  ref: 'kind-action/node:v1.37.2-cabc',
  imageId: D('1'),
  base: { repository: 'r.example/node', digest: D('2'), id: D('3'), layers: [D('4')] },
  top: [D('5')],
};

describe('layers.json', () => {
  test('round-trips with its checksum', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ka-layers-manifest-'));
    await writeLayersManifest(dir, manifest);
    await expect(readLayersManifest(dir)).resolves.toEqual({ ok: true, manifest });
  });

  test('a changed byte is refused by its checksum', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ka-layers-manifest-'));
    await writeLayersManifest(dir, manifest);
    const file = join(dir, 'layers.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('r.example', 'x.example'));
    const read = await readLayersManifest(dir);
    expect(read.ok).toBe(false);
  });

  test.each<[string, Record<string, unknown>]>([
    ['format', { format: 'export-1' }],
    ['ref', { ref: '' }],
    ['imageId', { imageId: 'abc' }],
    ['top', { top: [] }],
    ['base', { base: null }],
    ['base.digest', { base: { ...manifest.base, digest: 'latest' } }],
    ['base.id', { base: { ...manifest.base, id: 7 } }],
    ['base.layers', { base: { ...manifest.base, layers: ['not a digest'] } }],
  ])('names the bad field: %s', (field, change) => {
    expect(badLayersField({ ...manifest, ...change })).toBe(field);
  });
});

describe('usesContainerdStore', () => {
  test.each<[string, Parameters<typeof usesContainerdStore>[0], boolean]>([
    [
      'overlay2 (a graph driver)',
      { Driver: 'overlay2', DriverStatus: [['Backing Filesystem', 'extfs']] },
      false,
    ],
    [
      'containerd snapshotter',
      { Driver: 'overlayfs', DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']] },
      true,
    ],
    ['no status', { Driver: 'vfs', DriverStatus: null }, false],
  ])('%s', (_, info, expected) => {
    expect(usesContainerdStore(info)).toBe(expected);
  });
});

/** A `docker save` archive in the graph-driver layout: one directory per layer, config, manifest.json. */
async function savedArchive(dir: string, layers: Buffer[]): Promise<{ file: string; diffIds: string[] }> {
  const diffIds = layers.map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`);
  const config = Buffer.from(JSON.stringify({ rootfs: { type: 'layers', diff_ids: diffIds } }));
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  const paths = layers.map((_, i) => `${String(i).repeat(64)}/layer.tar`);
  const pack = tar.pack();
  layers.forEach((layer, i) => {
    pack.entry({ name: `${String(i).repeat(64)}/`, type: 'directory' });
    pack.entry({ name: `${String(i).repeat(64)}/VERSION` }, '1.0');
    pack.entry({ name: paths[i] ?? '' }, layer);
  });
  pack.entry({ name: configName }, config);
  pack.entry(
    { name: 'manifest.json' },
    JSON.stringify([{ Config: configName, RepoTags: ['x:1'], Layers: paths }]),
  );
  pack.finalize();
  const file = join(dir, 'image.tar');
  await pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(file));
  return { file, diffIds };
}

describe('writeTopLayers', () => {
  test('keeps the configuration, manifest and the layers above the base; drops the base layers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ka-top-layers-'));
    const layers = [Buffer.alloc(300_000, 1), Buffer.alloc(200_000, 2), Buffer.from('top layer bytes')];
    const { file, diffIds } = await savedArchive(dir, layers);
    const image = await readSavedImage(file);
    expect(image.diffIds).toEqual(diffIds);
    const out = join(dir, layersFile(gzipCodec));
    const written = await writeTopLayers(file, image, 2, gzipCodec, out);
    expect(layersFile(gzipCodec)).toBe('layers.tar.gz');
    expect(written.members).toContain('manifest.json');
    expect(written.members).toContain(image.config);
    expect(written.members).toContain(image.layers[2]);
    expect(written.members).not.toContain(image.layers[0]);
    expect(written.members).not.toContain(image.layers[1]);
    expect(await verifyChecksum(out)).toMatchObject({ ok: true, bytes: written.bytes });
    // What is inside, read back: no entry carries a base layer's bytes.
    const { stream, done } = gzipCodec.decompress(out);
    const extract = tar.extract();
    const feeding = pipeline(stream, extract);
    const hashes: string[] = [];
    for await (const entry of extract) {
      const h = createHash('sha256');
      for await (const chunk of entry) h.update(chunk as Buffer);
      hashes.push(`sha256:${h.digest('hex')}`);
    }
    await Promise.all([feeding, done]);
    expect(hashes).toContain(diffIds[2]);
    expect(hashes).not.toContain(diffIds[0]);
    expect(hashes).not.toContain(diffIds[1]);
  });

  test('an archive that is not one image is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ka-top-layers-'));
    const pack = tar.pack();
    pack.entry({ name: 'manifest.json' }, '[]');
    pack.finalize();
    const file = join(dir, 'bad.tar');
    await pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(file));
    await expect(readSavedImage(file)).rejects.toThrow(/exactly one image/);
  });
});
