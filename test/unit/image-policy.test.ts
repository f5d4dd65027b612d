import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LocalDirectoryStore } from '../../src/core/cache/local-store.js';
import type { DockerClient } from '../../src/core/docker/client.js';
import { ImageNotFoundError } from '../../src/core/errors.js';
import type { ImagePlan } from '../../src/core/image/plan.js';
import { type ImageRequest, resolveImage } from '../../src/core/image/resolve.js';
import { localNodeImage, publishedNodeImage } from '../../src/core/image/versions.js';
import { silentLogger } from '../../src/core/logger.js';

/**
 * The one image policy both adapters use, on an in-memory image store: which
 * source serves, in which order, and what each refusal says. (The real daemon,
 * cache and bake are exercised by the integration tests of both adapters.)
 */
const V = '1.35.4';
const LOCAL = localNodeImage(V);
const PUBLISHED = publishedNodeImage(V);

interface World {
  present: string[];
  pullable: string[];
}

function run(world: World, req: Partial<ImageRequest>) {
  const present = new Set(world.present);
  const calls: string[] = [];
  const docker = {
    imageExists: async (ref: string) => present.has(ref),
    pull: async (ref: string) => {
      calls.push(`pull ${ref}`);
      if (!world.pullable.includes(ref)) throw new ImageNotFoundError(`pull ${ref}: manifest unknown`);
      present.add(ref);
    },
  } as unknown as DockerClient;
  const bake = async (tag: string) => {
    calls.push(`bake ${tag}`);
  };
  const request: ImageRequest = { k8sVersion: V, build: 'auto', bake, ...req };
  const result = resolveImage(docker, request, silentLogger, new AbortController().signal);
  return { result, calls };
}

const nothing: World = { present: [], pullable: [] };
const custom: ImagePlan = { ref: `${LOCAL}-cabc`, key: 'kind-action-node-test', custom: true };

describe('resolveImage: which source serves', () => {
  test.each<[string, World, Partial<ImageRequest>, string, string, string[]]>([
    [
      'an explicit image present',
      { present: ['my/node:1'], pullable: [] },
      { image: 'my/node:1' },
      'my/node:1',
      'given',
      [],
    ],
    [
      'an explicit image pulled',
      { present: [], pullable: ['my/node:1'] },
      { image: 'my/node:1' },
      'my/node:1',
      'given',
      ['pull my/node:1'],
    ],
    ['the baked image present', { present: [LOCAL, PUBLISHED], pullable: [] }, {}, LOCAL, 'local', []],
    ['the published image present', { present: [PUBLISHED], pullable: [] }, {}, PUBLISHED, 'local', []],
    [
      'the published image pulled',
      { present: [], pullable: [PUBLISHED] },
      {},
      PUBLISHED,
      'pull',
      [`pull ${PUBLISHED}`],
    ],
    ['nothing anywhere: bake', nothing, {}, LOCAL, 'bake', [`pull ${PUBLISHED}`, `bake ${LOCAL}`]],
    [
      'build always: bake even with a local image',
      { present: [LOCAL], pullable: [PUBLISHED] },
      { build: 'always' },
      LOCAL,
      'bake',
      [`bake ${LOCAL}`],
    ],
    [
      'a custom bake is never pulled',
      { present: [], pullable: [PUBLISHED] },
      { plan: custom },
      custom.ref,
      'bake',
      [`bake ${custom.ref}`],
    ],
    [
      'a custom bake present',
      { present: [custom.ref], pullable: [] },
      { plan: custom },
      custom.ref,
      'local',
      [],
    ],
  ])('%s', async (_, world, req, ref, source, calls) => {
    const r = run(world, req);
    await expect(r.result).resolves.toMatchObject({ ref, source, cacheHit: false });
    expect(r.calls).toEqual(calls);
  });

  test('a cache miss goes on to the bake, and the step is timed', async () => {
    const store = new LocalDirectoryStore(mkdtempSync(join(tmpdir(), 'ka-policy-')));
    const cache = { store, workDir: mkdtempSync(join(tmpdir(), 'ka-policy-work-')), toolPath: '' };
    const r = run(nothing, { plan: custom, cache });
    const resolution = await r.result;
    expect(resolution).toMatchObject({ ref: custom.ref, source: 'bake' });
    expect(Object.keys(resolution.steps)).toEqual(['cache-restore', 'bake']);
  });
});

describe('resolveImage: refusals name their field', () => {
  test.each<[string, World, Partial<ImageRequest>, string | undefined, RegExp]>([
    [
      'an explicit image nowhere',
      nothing,
      { image: 'my/node:1' },
      'image',
      /^my\/node:1: not present locally and the pull failed/,
    ],
    [
      'build never, plain image nowhere',
      nothing,
      { build: 'never' },
      'build',
      /^never, and .* is not present locally or in a registry$/,
    ],
    [
      'build never, custom bake, with a cache',
      nothing,
      {
        build: 'never',
        plan: custom,
        cache: {
          store: new LocalDirectoryStore(mkdtempSync(join(tmpdir(), 'ka-policy-'))),
          workDir: mkdtempSync(join(tmpdir(), 'ka-policy-w-')),
          toolPath: '',
        },
      },
      'build',
      /, in the cache or in a registry$/,
    ],
    ['no bake offered, pull failed', nothing, { bake: undefined }, undefined, /^pull .*: manifest unknown$/],
  ])('%s', async (_, world, req, field, detail) => {
    const error = await run(world, req).result.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect((error as ImageNotFoundError).field).toBe(field);
    expect((error as ImageNotFoundError).detail).toMatch(detail);
  });
});
