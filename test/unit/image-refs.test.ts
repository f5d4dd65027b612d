import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { validateImageRef } from '../../src/core/image/reference.js';
import {
  DEFAULT_KUBERNETES,
  KUBERNETES_VERSIONS,
  localNodeImage,
  resolveKubernetesVersion,
} from '../../src/core/image/versions.js';
import { VERSION } from '../../src/core/version.js';

describe('validateImageRef', () => {
  test.each([
    'nginx',
    'nginx:1.27',
    'library/nginx:latest',
    'ghcr.io/kind-action/node:v1.35.4',
    'localhost:5000/a/b_c-d.e:tag',
    `busybox@sha256:${'a'.repeat(64)}`,
  ])('%j is accepted', (ref) => {
    expect(validateImageRef(ref)).toBe(ref);
  });

  test.each([
    '',
    'UPPER/case',
    'a b',
    'nginx:',
    ':tag',
    'a";touch /tmp/p;"',
    '$(touch /tmp/p)',
    'x\ny',
    'a'.repeat(300),
  ])('%j is refused naming the input', (ref) => {
    expect(() => validateImageRef(ref, 'preload-images')).toThrow(/^preload-images: /);
  });
});

describe('resolveKubernetesVersion', () => {
  test.each([
    [undefined, KUBERNETES_VERSIONS[DEFAULT_KUBERNETES]],
    ['1.37', '1.37.2'],
    ['v1.36.3', '1.36.3'],
    ['1.35', '1.35.4'],
  ])('%j → %j', (input, expected) => {
    expect(resolveKubernetesVersion(input)).toBe(expected);
  });

  test.each(['1.20', '1.34', '1.35.1', 'latest', '', '1'])(
    '%j is refused with the supported list',
    (input) => {
      expect(() => resolveKubernetesVersion(input)).toThrow(/is not supported \(choose one of/);
    },
  );

  test('local tag', () => {
    expect(localNodeImage('1.35.4')).toBe('kind-action/node:v1.35.4');
  });
});

test('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  expect(VERSION).toBe(pkg.version);
});
