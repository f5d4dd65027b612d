import { describe, expect, test } from 'vitest';
import { inputName } from '../../src/action/inputs.js';
import { optionName } from '../../src/cli/program.js';
import { expiryFor, isExpired } from '../../src/core/cluster/reap.js';
import { parseDuration, parseTtl } from '../../src/core/duration.js';
import { describeError, UsageError } from '../../src/core/errors.js';
import { validateImageRef } from '../../src/core/image/reference.js';
import { resolveKubernetesVersion } from '../../src/core/image/versions.js';
import { containerName, contextName, truncate, validateClusterName } from '../../src/core/names.js';

describe('parseDuration', () => {
  test.each([
    ['180s', 180_000],
    ['3m', 180_000],
    ['1m30s', 90_000],
    ['500ms', 500],
    ['1h', 3_600_000],
    ['90', 90_000],
    ['1.5s', 1500],
    [' 20s ', 20_000],
  ])('%j → %i ms', (input, ms) => {
    expect(parseDuration(input, 'timeout')).toBe(ms);
  });

  test.each(['', 'abc', '10 s', '-5s', '5d', '0s', '25h', 's', '1m-3s', '$(touch /tmp/p)', '3m\n'])(
    '%j is refused with an error naming the input',
    (input) => {
      expect(() => parseDuration(input, 'timeout')).toThrow(UsageError);
      expect(() => parseDuration(input, 'timeout')).toThrow(
        expect.objectContaining({
          field: 'timeout',
          detail: expect.stringContaining(JSON.stringify(input.trim()).slice(1, -1)),
        }),
      );
    },
  );
});

describe('time to live', () => {
  test.each([
    ['0', 0],
    [' 0 ', 0],
    ['6h', 6 * 3_600_000],
    ['90m', 5_400_000],
  ])('parseTtl(%j) → %i ms', (input, ms) => {
    expect(parseTtl(input, 'ttl')).toBe(ms);
  });

  test.each(['', '0s', '-1h', 'never', '25h', '$(touch /tmp/p)'])('parseTtl(%j) names the field', (input) => {
    expect(() => parseTtl(input, 'ttl')).toThrow(expect.objectContaining({ field: 'ttl' }));
  });

  test.each([
    [1_000_000, 0, undefined],
    [1_000_000, 60_000, 1060],
    [1_000_500, 1000, 1002],
  ])('expiryFor(%i, %i) → %j', (now, ttl, expected) => {
    expect(expiryFor(now, ttl)).toBe(expected);
  });

  test.each<[Record<string, string> | undefined, number, boolean]>([
    [undefined, 100, false],
    [{}, 100, false],
    [{ 'io.kind-action.expires': '99' }, 100, true],
    [{ 'io.kind-action.expires': '100' }, 100, true],
    [{ 'io.kind-action.expires': '101' }, 100, false],
    [{ 'io.kind-action.expires': 'soon' }, 100, false],
    [{ 'io.kind-action.expires': '' }, 100, false],
  ])('isExpired(%j, now %i) → %s', (labels, now, expected) => {
    expect(isExpired(labels ? { Labels: labels } : { Labels: {} }, now)).toBe(expected);
  });
});

describe('validateClusterName', () => {
  test.each(['kind', 'a', 'ci-42', 'x'.repeat(40), '0abc'])('%j is a valid name', (name) => {
    expect(validateClusterName(name)).toBe(name);
  });

  test.each([
    ['', /empty/],
    ['Kind', /DNS label/],
    ['-kind', /DNS label/],
    ['kind-', /DNS label/],
    ['kind_1', /DNS label/],
    ['a.b', /DNS label/],
    ['x'.repeat(41), /longer than 40/],
    ['a";touch /tmp/p;"', /DNS label/],
    ['a\nb', /DNS label/],
  ])('%j is refused (%s)', (name, message) => {
    expect(() => validateClusterName(name)).toThrow(message);
    expect(() => validateClusterName(name)).toThrow(expect.objectContaining({ field: 'name' }));
  });

  test('derived names', () => {
    expect(containerName('ci')).toBe('kind-action-ci');
    expect(contextName('ci')).toBe('kind-ci');
  });

  test('truncate keeps errors on one line and short', () => {
    expect(truncate('a\nb')).toBe('a\\nb');
    expect(truncate('y'.repeat(500))).toHaveLength(65);
  });
});

describe('an error about a field, worded by each adapter', () => {
  test.each([
    ['timeout', () => parseDuration('soon', 'timeout'), '--timeout: "soon"', 'wait: "soon"'],
    ['name', () => validateClusterName('Bad'), '--name: "Bad"', 'name: "Bad"'],
    [
      'preload',
      () => validateImageRef('Not An Image', 'preload'),
      '--preload: "Not An Image"',
      'preload-images: "Not An Image"',
    ],
    ['k8s-version', () => resolveKubernetesVersion('1.2'), '--k8s-version: "1.2"', 'k8s-version: "1.2"'],
  ])('%s', (field, fail, cli, action) => {
    let thrown: unknown;
    try {
      fail();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UsageError);
    expect((thrown as UsageError).field).toBe(field);
    expect(describeError(thrown, optionName).slice(0, cli.length)).toBe(cli);
    expect(describeError(thrown, inputName).slice(0, action.length)).toBe(action);
  });

  test('an error without a field is shown as it is', () => {
    expect(describeError(new Error('plain'), optionName)).toBe('plain');
  });
});
