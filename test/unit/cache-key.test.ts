import { describe, expect, test } from 'vitest';
import { type CacheKeyParts, cacheKey, isCustomBake } from '../../src/core/cache/key.js';
import { fromImages } from '../../src/core/cache/recipe.js';

const base: CacheKeyParts = {
  toolVersion: '0.1.0',
  k8sVersion: '1.35.4',
  kubeSource: 'release',
  arch: 'amd64',
  recipe: 'a'.repeat(64),
  baseImages: ['debian:trixie-slim@sha256:1111'],
  preload: [],
  hooks: {},
  suffix: '',
};
const baseKey = cacheKey(base);

describe('cacheKey', () => {
  test('is readable, stable and free of characters the cache refuses', () => {
    expect(baseKey).toMatch(/^kind-action-node-v1\.35\.4-release-linux-amd64-t0\.1\.0-[a-f0-9]{20}$/);
    expect(cacheKey({ ...base })).toBe(baseKey);
    expect(baseKey).not.toContain(',');
    expect(baseKey.length).toBeLessThan(512);
  });

  const CHANGES: [string, Partial<CacheKeyParts>][] = [
    ['tool version', { toolVersion: '0.2.0' }],
    ['Kubernetes version', { k8sVersion: '1.34.4' }],
    ['binary source', { kubeSource: 'source' }],
    ['architecture', { arch: 'arm64' }],
    ['image recipe (Dockerfile, agent)', { recipe: 'b'.repeat(64) }],
    ['base image digest', { baseImages: ['debian:trixie-slim@sha256:2222'] }],
    ['a preload image', { preload: ['nginx:1.27'] }],
    ['a preload digest', { preload: ['nginx@sha256:'.padEnd(77, 'c')] }],
    ['before-cluster hook content', { hooks: { 'before-cluster': 'd'.repeat(64) } }],
    ['after-cluster hook content', { hooks: { 'after-cluster': 'd'.repeat(64) } }],
    ['cache-key-suffix', { suffix: 'v2' }],
  ];

  test.each(CHANGES)('changes with the %s', (_, change) => {
    expect(cacheKey({ ...base, ...change })).not.toBe(baseKey);
  });

  test('every part of the key is among the changes tried', () => {
    // `base` is a whole CacheKeyParts (the compiler sees to it), so a new part cannot escape.
    const tried = new Set(CHANGES.flatMap(([, change]) => Object.keys(change)));
    expect([...tried].sort()).toEqual(Object.keys(base).sort());
  });

  test.each<[string, Partial<CacheKeyParts>, Partial<CacheKeyParts>]>([
    ['preload order', { preload: ['a:1', 'b:2'] }, { preload: ['b:2', 'a:1'] }],
    ['a repeated preload', { preload: ['a:1'] }, { preload: ['a:1', 'a:1'] }],
    [
      'hook order',
      { hooks: { 'before-cluster': '1', 'after-cluster': '2' } },
      { hooks: { 'after-cluster': '2', 'before-cluster': '1' } },
    ],
    ['base image order', { baseImages: ['x', 'y'] }, { baseImages: ['y', 'x'] }],
  ])('does not change with %s', (_, a, b) => {
    expect(cacheKey({ ...base, ...a })).toBe(cacheKey({ ...base, ...b }));
  });

  test('the same hook content under the other hook name is a different bake', () => {
    expect(cacheKey({ ...base, hooks: { 'before-cluster': 'e' } })).not.toBe(
      cacheKey({ ...base, hooks: { 'after-cluster': 'e' } }),
    );
  });

  test('ends with the suffix, so a person can find it', () => {
    expect(cacheKey({ ...base, suffix: 'nightly-3' })).toMatch(/-nightly-3$/);
  });

  test.each<[Partial<CacheKeyParts>, boolean]>([
    [{}, false],
    [{ preload: ['nginx:1'] }, true],
    [{ hooks: { 'after-cluster': 'x' } }, true],
  ])('isCustomBake(%j) = %s', (change, custom) => {
    expect(isCustomBake({ ...base, ...change })).toBe(custom);
  });
});

describe('fromImages', () => {
  test.each([
    ['FROM debian:trixie-slim\nRUN true', ['debian:trixie-slim']],
    [
      'FROM golang:1 AS build\nFROM debian:trixie-slim\nCOPY --from=build /x /x',
      ['golang:1', 'debian:trixie-slim'],
    ],
    ['FROM debian AS a\nFROM a', ['debian']],
    ['from --platform=linux/amd64 alpine:3', ['alpine:3']],
    ['ARG B=x\nFROM $B', []],
    ['RUN echo FROM nothing', []],
  ])('%j → %j', (dockerfile, images) => {
    expect(fromImages(dockerfile)).toEqual(images);
  });
});
