import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { sha256File } from '../../src/core/cache/integrity.js';
import { saveLayers } from '../../src/core/cache/layer-cache.js';
import { LocalDirectoryStore } from '../../src/core/cache/local-store.js';
import { PrivilegeMemo } from '../../src/core/cluster/privilege.js';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import type { DockerClient } from '../../src/core/docker/client.js';
import { HookFailedError } from '../../src/core/errors.js';
import { customizeImage } from '../../src/core/image/customize.js';
import type { HookFiles } from '../../src/core/image/customize-hooks.js';
import type { ImagePlan } from '../../src/core/image/plan.js';
import type { PublishedSource } from '../../src/core/image/published.js';
import { type ImageRequest, resolveImage } from '../../src/core/image/resolve.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { nodeArch } from '../../src/core/package.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { kubectlOk } from '../support/kubectl.js';
import { archiveEntries, publishNode } from '../support/layers.js';
import { E2E_K8S } from '../support/node-image-setup.js';
import type { RunningRegistry } from '../support/registry.js';

/**
 * The real node image published to a real registry, then customized with a
 * before-cluster and an after-cluster hook the way a run with hooks does it
 * (no bake from scratch), with a preload image: the published node's agent
 * runs the hooks around a start of its baked cluster, loads the preload before
 * the after-cluster hook, and seals it as a bake does. The cache keeps only
 * the layer above the published image; the node booted from the restored image
 * has what both hooks made. A failing hook is a named error leaving nothing.
 */
const kubeBin = inject('kubeBin');
const env = isolatedEnv();
const NAME = 'e2e-hooks';
const suffix = randomBytes(4).toString('hex');
const REF = `kind-action/node:v${E2E_K8S}-ce2eh${suffix}`;
const FAILED_REF = `kind-action/node:v${E2E_K8S}-ce2ef${suffix}`;
const PATH = process.env.PATH ?? '';
const MARK = '/etc/kind-action-e2e/before-cluster';
const PRELOAD = `ka-e2e/hooks-preload:${suffix}`;
const work = mkdtempSync(join(tmpdir(), 'ka-e2e-hooks-'));
const storeDir = mkdtempSync(join(tmpdir(), 'ka-e2e-hooks-store-'));
const store = new LocalDirectoryStore(storeDir);
let registry: RunningRegistry;
let repository = '';
let source: PublishedSource;
let client: DockerClient;
const lines: string[] = [];
const log: Logger = { ...silentLogger, info: (m) => lines.push(m), warn: (m) => lines.push(`WARN ${m}`) };

function hookFile(name: string, body: string): string {
  const file = join(work, name);
  writeFileSync(file, `#!/bin/sh\nset -eu\n${body}\n`, { mode: 0o755 });
  return file;
}

const hooks: HookFiles = {
  'before-cluster': hookFile('before', `mkdir -p ${MARK.replace(/\/[^/]+$/, '')}\necho ${suffix} > ${MARK}`),
  // The preload is in the node's Docker before the after-cluster hook runs, as in a bake.
  'after-cluster': hookFile(
    'after',
    `docker image inspect ${PRELOAD} >/dev/null\nkubectl create configmap e2e-hook --from-literal=suffix=${suffix}`,
  ),
};

async function planFor(ref: string, files: HookFiles, preload: string[]): Promise<ImagePlan> {
  const hashes: Record<string, string> = {};
  for (const [name, file] of Object.entries(files)) hashes[name] = await sha256File(file);
  return {
    ref,
    key: `kind-action-node-whole-${suffix}-${ref.slice(-6)}`,
    custom: true,
    layers: {
      toolVersion: '0.0.0-e2e',
      k8sVersion: E2E_K8S,
      arch: nodeArch(),
      preload,
      hooks: hashes,
      suffix: '',
    },
  };
}

async function resolve(
  ref: string,
  files: HookFiles,
  preload: string[] = [PRELOAD],
): Promise<Awaited<ReturnType<typeof resolveImage>>> {
  const customize: ImageRequest['customize'] = (base, tag, signal) =>
    customizeImage(
      client,
      {
        base: base.ref,
        basePinned: base.pinned,
        tag,
        preload,
        hooks: files,
        authFor: async () => undefined,
        privilege: 'auto',
        memo: PrivilegeMemo.inDir(work),
        signal,
      },
      log,
    );
  const cache = { store, workDir: join(work, 'entry'), toolPath: PATH };
  const plan = await planFor(ref, files, preload);
  const req: ImageRequest = { k8sVersion: E2E_K8S, build: 'auto', plan, cache, published: source, customize };
  return resolveImage(client, req, log, new AbortController().signal);
}

/** What a customization may leave: its containers and volumes (cluster customize-*). */
async function customizeLeftovers(): Promise<unknown[]> {
  const containers = await docker.listContainers({
    all: true,
    filters: { label: ['io.kind-action.managed=true'] },
  });
  const volumes =
    (await docker.listVolumes({ filters: { label: ['io.kind-action.managed=true'] } })).Volumes ?? [];
  const ours = (labels: Record<string, string> | undefined) =>
    labels?.['io.kind-action.cluster']?.startsWith('customize-') ?? false;
  return [...containers.filter((c) => ours(c.Labels)), ...volumes.filter((v) => ours(v.Labels))];
}

beforeAll(async () => {
  ({ client, registry, repository, source } = await publishNode('hooks-node', E2E_K8S, env, PRELOAD));
}, 900_000);

afterAll(async () => {
  await cli(['down', '--name', NAME], env);
  expect(await leftovers(NAME)).toEqual(NOTHING);
  for (const ref of [REF, FAILED_REF, PRELOAD, `${repository}:v${E2E_K8S}`])
    await client.removeImage(ref).catch(() => {});
  await registry?.stop();
  rmSync(work, { recursive: true, force: true });
  rmSync(storeDir, { recursive: true, force: true });
});

describe('hooks run on the published node, cached as its own layer', () => {
  let imageId = '';

  test('the published image is pulled and customized by its agent; the image is it plus one layer, its config unchanged', async () => {
    const r = await resolve(REF, hooks);
    expect(r).toMatchObject({ ref: REF, source: 'bake' });
    expect(lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('image path:'))).toEqual([
      expect.stringMatching(/^image path: the published .* pulled, preloads added, hooks run$/),
    ]);
    expect(await customizeLeftovers()).toEqual([]);
    const base = await docker.getImage(`${repository}:v${E2E_K8S}`).inspect();
    const image = await docker.getImage(REF).inspect();
    imageId = image.Id;
    const baseLayers = base.RootFS.Layers ?? [];
    expect(image.RootFS.Layers?.slice(0, baseLayers.length)).toEqual(baseLayers);
    expect(image.RootFS.Layers?.length).toBe(baseLayers.length + 1);
    expect(image.Config.Entrypoint).toEqual(base.Config.Entrypoint);
    expect(image.Config.Cmd ?? []).toEqual(base.Config.Cmd ?? []);
    expect(image.Config.Env).toEqual(base.Config.Env);
    expect(image.Config.Labels).toEqual({ ...base.Config.Labels, 'io.kind-action.base': expect.any(String) });

    const layers = r.layers;
    if (!layers) throw new Error('no layers named');
    const saved = await saveLayers(
      client,
      REF,
      layers,
      layers.key,
      { store, workDir: join(work, 'entry'), toolPath: PATH },
      log,
    );
    expect(saved).toMatchObject({ saved: true });
    if (!saved.saved) return;
    const entryDir = join(storeDir, layers.key);
    const manifest = JSON.parse(readFileSync(join(entryDir, 'layers.json'), 'utf8')) as {
      base: { layers: string[] };
      top: string[];
    };
    // The entry's layer list: the published image's, then the new one.
    expect([...manifest.base.layers, ...manifest.top]).toEqual(image.RootFS.Layers);
    expect(manifest.base.layers).toEqual(baseLayers);
    const hashes = (await archiveEntries(entryDir)).entries.map((e) => e.sha256);
    for (const layer of baseLayers) expect(hashes).not.toContain(layer);
    expect(hashes).toContain(image.RootFS.Layers?.at(-1));
    expect(saved.bytes * 4).toBeLessThan(image.Size);
  });

  test('a new runner: base pulled, top layer loaded; the node has the ConfigMap and the file the hooks made, and the preload', async () => {
    await client.removeImage(REF);
    await client.removeImage(PRELOAD);
    await client.removeImage(`${repository}:v${E2E_K8S}`);
    lines.length = 0;
    const r = await resolve(REF, hooks);
    expect(r).toMatchObject({ ref: REF, source: 'cache', cacheHit: true });
    expect(lines.filter((l) => l.startsWith('WARN'))).toEqual([]);
    expect((await docker.getImage(REF).inspect()).Id).toBe(imageId);

    const up = await cli(['up', '--name', NAME, '--image', REF, '--json'], env);
    expect(up.code, up.stderr).toBe(0);
    const result = parseJson<UpJson>(up);
    const made = await kubectlOk(kubeBin, result.kubeconfig, [
      'get',
      'configmap',
      'e2e-hook',
      '-o',
      'jsonpath={.data.suffix}',
    ]);
    expect(made).toBe(suffix);
    const file = await client.exec(result.containerId, ['cat', MARK], { timeoutMs: 30_000 });
    expect(file.code, file.output).toBe(0);
    expect(file.output.trim()).toBe(suffix);
    const preloaded = await client.exec(result.containerId, ['docker', 'image', 'inspect', PRELOAD], {
      timeoutMs: 30_000,
    });
    expect(preloaded.code, preloaded.output).toBe(0);
  });

  test('a failing hook: a named error with its output, and nothing of the customization left', async () => {
    const failing: HookFiles = {
      'after-cluster': hookFile('failing', `echo "no luck ${suffix}" >&2\nexit 3`),
    };
    lines.length = 0;
    const error = await resolve(FAILED_REF, failing, []).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(HookFailedError);
    const failed = error as HookFailedError;
    expect(failed.field).toBe('after-cluster');
    expect(failed.output).toContain(`no luck ${suffix}`);
    expect(failed.message).toContain('exit status 3');
    expect(await customizeLeftovers()).toEqual([]);
    expect(await client.imageExists(FAILED_REF)).toBe(false);
  });
});
