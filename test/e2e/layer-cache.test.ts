import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { saveLayers } from '../../src/core/cache/layer-cache.js';
import { LocalDirectoryStore } from '../../src/core/cache/local-store.js';
import { PrivilegeMemo } from '../../src/core/cluster/privilege.js';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import type { DockerClient } from '../../src/core/docker/client.js';
import { customizeImage } from '../../src/core/image/customize.js';
import type { ImagePlan } from '../../src/core/image/plan.js';
import type { PublishedSource } from '../../src/core/image/published.js';
import { type ImageRequest, resolveImage } from '../../src/core/image/resolve.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { nodeArch } from '../../src/core/package.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { nodesReady } from '../support/kubectl.js';
import { archiveEntries, publishNode } from '../support/layers.js';
import { E2E_K8S } from '../support/node-image-setup.js';
import type { RunningRegistry } from '../support/registry.js';

/**
 * The real node image published to a real registry, then customized with a
 * preload image the way a run with `preload-images` does it (no bake): the
 * cache keeps only the layer above the published image; a new runner pulls the
 * published image, loads that layer, and the node it boots is Ready with the
 * preloaded image in its own Docker.
 */
const kubeBin = inject('kubeBin');
const env = isolatedEnv();
const NAME = 'e2e-layers';
const suffix = randomBytes(4).toString('hex');
const PRELOAD = `ka-e2e/preload:${suffix}`;
const REF = `kind-action/node:v${E2E_K8S}-ce2e${suffix}`;
const PATH = process.env.PATH ?? '';
const work = mkdtempSync(join(tmpdir(), 'ka-e2e-layers-'));
const storeDir = mkdtempSync(join(tmpdir(), 'ka-e2e-layers-store-'));
const store = new LocalDirectoryStore(storeDir);
let registry: RunningRegistry;
let repository = '';
let source: PublishedSource;
let client: DockerClient;
const plan: ImagePlan = {
  ref: REF,
  key: `kind-action-node-whole-${suffix}`,
  custom: true,
  layers: {
    toolVersion: '0.0.0-e2e',
    k8sVersion: E2E_K8S,
    arch: nodeArch(),
    preload: [PRELOAD],
    hooks: {},
    suffix: '',
  },
};
const lines: string[] = [];
const log: Logger = { ...silentLogger, info: (m) => lines.push(m), warn: (m) => lines.push(`WARN ${m}`) };

async function resolve(): Promise<Awaited<ReturnType<typeof resolveImage>>> {
  const customize: ImageRequest['customize'] = (base, tag, signal) =>
    customizeImage(
      client,
      {
        base: base.ref,
        basePinned: base.pinned,
        tag,
        preload: [PRELOAD],
        authFor: async () => undefined,
        privilege: 'auto',
        memo: PrivilegeMemo.inDir(work),
        signal,
      },
      log,
    );
  const cache = { store, workDir: join(work, 'entry'), toolPath: PATH };
  const req: ImageRequest = { k8sVersion: E2E_K8S, build: 'auto', plan, cache, published: source, customize };
  return resolveImage(client, req, log, new AbortController().signal);
}

async function removeImages(refs: string[]): Promise<void> {
  for (const ref of refs) await client.removeImage(ref);
}

beforeAll(async () => {
  ({ client, registry, repository, source } = await publishNode('layers-node', E2E_K8S, env, PRELOAD));
}, 900_000);

afterAll(async () => {
  await cli(['down', '--name', NAME], env);
  expect(await leftovers(NAME)).toEqual(NOTHING);
  await removeImages([REF, PRELOAD, `${repository}:v${E2E_K8S}`]).catch(() => {});
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(storeDir, { recursive: true, force: true });
});

describe('a preload added to the published node, cached as its own layer', () => {
  let key = '';
  let imageId = '';

  test('the published image is pulled and customized (source bake); the entry holds none of its layers', async () => {
    const r = await resolve();
    expect(r).toMatchObject({ ref: REF, source: 'bake' });
    expect(lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
    const layers = r.layers;
    if (!layers) throw new Error('no layers named');
    key = layers.key;
    // The customization leaves no container or volume behind.
    const managed = await docker.listContainers({ all: true, filters: { name: ['kind-action-customize-'] } });
    expect(managed).toEqual([]);
    const volumes = await docker.listVolumes({ filters: { label: ['io.kind-action.managed=true'] } });
    const customizing = (volumes.Volumes ?? []).filter((v) =>
      v.Labels?.['io.kind-action.cluster']?.startsWith('customize-'),
    );
    expect(customizing).toEqual([]);
    const base = await docker.getImage(`${repository}:v${E2E_K8S}`).inspect();
    const image = await docker.getImage(REF).inspect();
    imageId = image.Id;
    const baseLayers = base.RootFS.Layers ?? [];
    expect(image.RootFS.Layers?.slice(0, baseLayers.length)).toEqual(baseLayers);
    expect(image.RootFS.Layers?.length).toBe(baseLayers.length + 1);

    const saved = await saveLayers(
      client,
      REF,
      layers,
      key,
      { store, workDir: join(work, 'entry'), toolPath: PATH },
      log,
    );
    expect(saved).toMatchObject({ saved: true });
    if (!saved.saved) return;
    const { entries } = await archiveEntries(join(storeDir, key));
    const hashes = entries.map((e) => e.sha256);
    for (const layer of baseLayers) expect(hashes).not.toContain(layer);
    expect(hashes).toContain(image.RootFS.Layers?.at(-1));
    // The published node is hundreds of MB; its top layer (the image store seed) is a fraction.
    expect(saved.bytes * 4).toBeLessThan(image.Size);
    process.stdout.write(
      `top layers entry ${(saved.bytes / 1024 ** 2).toFixed(1)} MB; image ${(image.Size / 1024 ** 2).toFixed(0)} MB\n`,
    );
  });

  test('a new runner: base pulled by digest, top layer loaded (source cache), the node is Ready with the preload in its Docker', async () => {
    await removeImages([REF, PRELOAD, `${repository}:v${E2E_K8S}`]);
    lines.length = 0;
    const r = await resolve();
    expect(r).toMatchObject({ ref: REF, source: 'cache', cacheHit: true });
    expect(lines.some((l) => l.startsWith(`pulling ${repository}:v${E2E_K8S}`))).toBe(true);
    expect(lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
    expect((await docker.getImage(REF).inspect()).Id).toBe(imageId);

    const up = await cli(['up', '--name', NAME, '--image', REF, '--json'], env);
    expect(up.code, up.stderr).toBe(0);
    const result = parseJson<UpJson>(up);
    expect((await nodesReady(kubeBin, result.kubeconfig)).trim()).toBe('True');
    const exec = await client.exec(
      result.containerId,
      ['docker', 'image', 'inspect', '--format', '{{.Id}}', PRELOAD],
      {
        timeoutMs: 30_000,
      },
    );
    expect(exec.code, exec.output).toBe(0);
    expect(exec.output).toMatch(/sha256:[a-f0-9]{64}/);
  });
});
