import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LocalDirectoryStore } from '../../src/core/cache/local-store.js';
import type { DockerClient } from '../../src/core/docker/client.js';
import { AgentModeMissingError, HookFailedError, ImageNotFoundError } from '../../src/core/errors.js';
import type { ImagePlan } from '../../src/core/image/plan.js';
import type { PublishedSource } from '../../src/core/image/published.js';
import { type ImageRequest, resolveImage } from '../../src/core/image/resolve.js';
import { localNodeImage, NODE_REPOSITORY, publishedTag } from '../../src/core/image/versions.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { nodeArch } from '../../src/core/package.js';

/**
 * The one image policy both adapters use, on an in-memory image store and
 * registry: which source serves, in which order, and what each refusal says.
 * (The real daemon, registry, cache and bake are exercised by the
 * integration and e2e tests.)
 */
const V = '1.35.4';
const LOCAL = localNodeImage(V);
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;
const D = 'c'.repeat(64);
/** The table's repository as if the table pinned DIGEST for V. */
const PINNED: PublishedSource = {
  repository: NODE_REPOSITORY,
  digest: DIGEST,
  explicit: false,
  auth: undefined,
};
const MIRROR: PublishedSource = {
  repository: 'mirror.example/ci/node',
  digest: undefined,
  explicit: true,
  auth: undefined,
};
const UNPUBLISHED: PublishedSource = { ...PINNED, digest: undefined };
const PUBLISHED = `${NODE_REPOSITORY}:${publishedTag(V)}`;
const MIRRORED = `${MIRROR.repository}:${publishedTag(V)}`;

interface Manifest {
  digest: string;
  arch?: string;
}

interface World {
  present: string[];
  /** What each REPO:TAG names in its registry; absent: the registry answers 404. */
  registry: Record<string, Manifest>;
}

function run(world: World, req: Partial<ImageRequest>, logTo?: Logger) {
  const present = new Map(world.present.map((ref) => [ref, nodeArch()]));
  const calls: string[] = [];
  const warnings: string[] = [];
  const docker = {
    imageExists: async (ref: string) => present.has(ref),
    inspectImage: async (ref: string) => (present.has(ref) ? { Architecture: present.get(ref) } : undefined),
    removeImage: async (ref: string) => present.delete(ref),
    pull: async (ref: string) => {
      calls.push(`pull ${ref}`);
      const [name = '', digest] = ref.split('@');
      const m = world.registry[name];
      if (!m || (digest && m.digest !== digest))
        throw new ImageNotFoundError(`pull ${ref}: manifest unknown`);
      present.set(digest ? `${name.slice(0, name.lastIndexOf(':'))}@${digest}` : ref, m.arch ?? nodeArch());
    },
    registry: () => ({
      distribution: async (ref: string) => {
        const m = world.registry[ref];
        if (!m) throw new ImageNotFoundError(`distribution ${ref}: manifest unknown`);
        return {
          digest: m.digest,
          mediaType: '',
          platforms: [{ os: 'linux', architecture: m.arch ?? nodeArch() }],
        };
      },
      tag: async (source: string, repo: string, tag: string) => {
        present.set(`${repo}:${tag}`, present.get(source) ?? '');
      },
    }),
  } as unknown as DockerClient;
  const bake = async (tag: string) => {
    calls.push(`bake ${tag}`);
  };
  const log: Logger = { ...silentLogger, ...logTo, warn: (m: string) => warnings.push(m) };
  const request: ImageRequest = { k8sVersion: V, build: 'auto', bake, published: PINNED, ...req };
  const result = resolveImage(docker, request, log, new AbortController().signal);
  return { result, calls, warnings };
}

const nothing: World = { present: [], registry: {} };
const custom: ImagePlan = { ref: `${LOCAL}-cabc`, key: 'kind-action-node-test', custom: true };

describe('resolveImage: which source serves', () => {
  test.each<[string, World, Partial<ImageRequest>, string, string, string[]]>([
    [
      'an explicit image present',
      { present: ['my/node:1'], registry: {} },
      { image: 'my/node:1' },
      'my/node:1',
      'given',
      [],
    ],

    [
      'an explicit image pulled',
      { present: [], registry: { 'my/node:1': { digest: DIGEST } } },
      { image: 'my/node:1' },
      'my/node:1',
      'given',
      ['pull my/node:1'],
    ],
    ['the baked image present', { present: [LOCAL, PUBLISHED], registry: {} }, {}, LOCAL, 'local', []],
    ['the published image present', { present: [PUBLISHED], registry: {} }, {}, PUBLISHED, 'local', []],
    [
      'the published image pulled by the pinned digest',
      { present: [], registry: { [PUBLISHED]: { digest: DIGEST } } },
      {},
      PUBLISHED,
      'pull',
      [`pull ${PUBLISHED}@${DIGEST}`],
    ],
    [
      'a mirror: the local bake is not its image; pulled by the digest its tag names',
      { present: [LOCAL], registry: { [MIRRORED]: { digest: OTHER } } },
      { published: MIRROR },
      MIRRORED,
      'pull',
      [`pull ${MIRRORED}@${OTHER}`],
    ],
    [
      'a mirror image present',
      { present: [MIRRORED], registry: {} },
      { published: MIRROR },
      MIRRORED,
      'local',
      [],
    ],
    [
      'no digest recorded: no pull, bake',
      { present: [], registry: { [PUBLISHED]: { digest: DIGEST } } },
      { published: UNPUBLISHED },
      LOCAL,
      'bake',
      [`bake ${LOCAL}`],
    ],
    [
      'nothing anywhere: bake',
      { present: [], registry: { [PUBLISHED]: { digest: DIGEST } } },
      { published: MIRROR },
      LOCAL,
      'bake',
      [`bake ${LOCAL}`],
    ],
    [
      'build always: bake even with a local image',
      { present: [LOCAL], registry: { [PUBLISHED]: { digest: DIGEST } } },
      { build: 'always' },
      LOCAL,
      'bake',
      [`bake ${LOCAL}`],
    ],
    [
      'a custom bake is never pulled',
      { present: [], registry: { [PUBLISHED]: { digest: DIGEST } } },
      { plan: custom },
      custom.ref,
      'bake',
      [`bake ${custom.ref}`],
    ],
    [
      'a custom bake present',
      { present: [custom.ref], registry: {} },
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

describe('resolveImage: a failed pull falls back, a wrong image is refused', () => {
  test('a registry that cannot serve the tag: one warning naming the reference, then the bake', async () => {
    const r = run(nothing, { published: MIRROR });
    await expect(r.result).resolves.toMatchObject({ source: 'bake', ref: LOCAL });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain(MIRRORED);
    expect(r.warnings[0]).toMatch(/manifest unknown.*baking/);
  });

  test.each<[string, World, RegExp, string]>([
    [
      'the tag names another digest than the table pins',
      { present: [], registry: { [PUBLISHED]: { digest: OTHER } } },
      /names sha256:b+, but the version table pins sha256:a+/,
      'DigestMismatchError',
    ],
    [
      'the image is for another architecture',
      { present: [], registry: { [PUBLISHED]: { digest: DIGEST, arch: 'riscv64' } } },
      /has no image for linux\/\w+ \(it has linux\/riscv64\)/,
      'PlatformMismatchError',
    ],
  ])('%s: refused, nothing pulled or baked', async (_, world, message, name) => {
    const r = run(world, {});
    const error = await r.result.catch((err: unknown) => err);
    expect((error as Error).name).toBe(name);
    expect((error as Error).message).toMatch(message);
    expect(r.calls).toEqual([]);
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
    [
      'no bake offered, pull failed',
      nothing,
      { bake: undefined, published: MIRROR },
      undefined,
      /^pull .*: distribution .*: manifest unknown$/,
    ],
  ])('%s', async (_, world, req, field, detail) => {
    const error = await run(world, req).result.catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect((error as ImageNotFoundError).field).toBe(field);
    expect((error as ImageNotFoundError).detail).toMatch(detail);
  });
});

describe('resolveImage: a published image with the user preloads added', () => {
  const layers = {
    toolVersion: '0.1.0',
    k8sVersion: V,
    arch: nodeArch(),
    preload: ['redis:7'],
    hooks: {},
    suffix: '',
  };
  const preloaded: ImagePlan = { ...custom, layers };

  function customizing(world: World, req: Partial<ImageRequest>, log?: Logger) {
    const made: string[] = [];
    const customize: ImageRequest['customize'] = async (base, tag) => {
      made.push(`customize ${base.ref} (${base.pinned}) as ${tag}`);
    };
    return { ...run(world, { plan: preloaded, customize, ...req }, log), made };
  }

  test('pulls the published image by its pin and customizes it: source bake, the layers to save named', async () => {
    const r = customizing({ present: [], registry: { [PUBLISHED]: { digest: DIGEST } } }, {});
    const resolution = await r.result;
    expect(resolution).toMatchObject({ ref: preloaded.ref, source: 'bake', cacheHit: false });
    expect(resolution.layers).toMatchObject({ repository: NODE_REPOSITORY, digest: DIGEST, ref: PUBLISHED });
    expect(resolution.layers?.key).toMatch(/^kind-action-node-v1\.35\.4-layers-linux-/);
    expect(r.calls).toEqual([`pull ${PUBLISHED}@${DIGEST}`]);
    expect(r.made).toEqual([`customize ${PUBLISHED} (${NODE_REPOSITORY}@${DIGEST}) as ${preloaded.ref}`]);
    expect(Object.keys(resolution.steps)).toEqual(['pull', 'customize']);
  });

  test('a mirror: the digest its tag names is the base, and a moved tag is another key', async () => {
    const a = await customizing(
      { present: [], registry: { [MIRRORED]: { digest: DIGEST } } },
      { published: MIRROR },
    ).result;
    const b = await customizing(
      { present: [], registry: { [MIRRORED]: { digest: OTHER } } },
      { published: MIRROR },
    ).result;
    expect(a.layers?.digest).toBe(DIGEST);
    expect(b.layers?.digest).toBe(OTHER);
    expect(a.layers?.key).not.toBe(b.layers?.key);
  });

  test('another pin of the published image is another key', async () => {
    const a = await customizing({ present: [], registry: { [PUBLISHED]: { digest: DIGEST } } }, {}).result;
    const b = await customizing(
      { present: [], registry: { [PUBLISHED]: { digest: OTHER } } },
      { published: { ...PINNED, digest: OTHER } },
    ).result;
    expect(a.layers?.key).not.toBe(b.layers?.key);
  });

  test.each<[string, World, Partial<ImageRequest>]>([
    [
      'a plan without layered parts',
      { present: [], registry: { [PUBLISHED]: { digest: DIGEST } } },
      { plan: custom },
    ],
    ['nothing published for the version', nothing, { published: UNPUBLISHED }],
    ['a mirror whose registry cannot say the digest', nothing, { published: MIRROR }],
  ])('%s: no customization, the bake', async (_, world, req) => {
    const r = customizing(world, req);
    await expect(r.result).resolves.toMatchObject({ ref: preloaded.ref, source: 'bake' });
    expect(r.made).toEqual([]);
    expect(r.calls).toContain(`bake ${preloaded.ref}`);
  });

  test('the pull of the published image fails: one warning, then the bake from scratch', async () => {
    const r = customizing({ present: [], registry: {} }, { published: PINNED });
    await expect(r.result).resolves.toMatchObject({ ref: preloaded.ref, source: 'bake' });
    expect(r.made).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain(PUBLISHED);
  });

  test('hooks: the published image customized with them too, and the log says so', async () => {
    const infos: string[] = [];
    const hooked: ImagePlan = { ...custom, layers: { ...layers, hooks: { 'after-cluster': D } } };
    const r = customizing(
      { present: [], registry: { [PUBLISHED]: { digest: DIGEST } } },
      { plan: hooked },
      { ...silentLogger, info: (m) => infos.push(m) },
    );
    await expect(r.result).resolves.toMatchObject({ ref: hooked.ref, source: 'bake' });
    expect(r.made).toHaveLength(1);
    expect(infos.filter((l) => l.startsWith('image path:'))).toEqual([
      `image path: the published ${NODE_REPOSITORY}@${DIGEST.slice(0, 19)}… pulled, preloads added, hooks run`,
    ]);
  });

  test('an older published image, whose agent has no customize mode: one warning, then the bake', async () => {
    const r = customizing(
      { present: [], registry: { [PUBLISHED]: { digest: DIGEST } } },
      {
        customize: async () => {
          throw new AgentModeMissingError('the agent of x has no customize mode (an older image)');
        },
      },
    );
    await expect(r.result).resolves.toMatchObject({ ref: preloaded.ref, source: 'bake' });
    expect(r.warnings).toEqual([
      'the agent of x has no customize mode (an older image); baking the image here instead',
    ]);
    expect(r.calls).toEqual([`pull ${PUBLISHED}@${DIGEST}`, `bake ${preloaded.ref}`]);
  });

  test('a hook that fails: its error, and no bake', async () => {
    const r = customizing(
      { present: [], registry: { [PUBLISHED]: { digest: DIGEST } } },
      {
        customize: async () => {
          throw new HookFailedError('after-cluster', 'the hook failed (exit status 3)', 'boom');
        },
      },
    );
    await expect(r.result).rejects.toBeInstanceOf(HookFailedError);
    expect(r.calls).not.toContain(`bake ${preloaded.ref}`);
  });

  test('build never: not customized either', async () => {
    const r = customizing({ present: [], registry: { [PUBLISHED]: { digest: DIGEST } } }, { build: 'never' });
    await expect(r.result).rejects.toBeInstanceOf(ImageNotFoundError);
    expect(r.made).toEqual([]);
  });
});
