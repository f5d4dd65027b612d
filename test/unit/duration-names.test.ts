import { describe, expect, test } from 'vitest';
import { parseDuration } from '../../src/core/duration.js';
import { UsageError } from '../../src/core/errors.js';
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
    expect(parseDuration(input)).toBe(ms);
  });

  test.each(['', 'abc', '10 s', '-5s', '5d', '0s', '25h', 's', '1m-3s', '$(touch /tmp/p)', '3m\n'])(
    '%j is refused with an error naming the input',
    (input) => {
      expect(() => parseDuration(input, '--timeout')).toThrow(UsageError);
      expect(() => parseDuration(input, '--timeout')).toThrow(/--timeout/);
    },
  );
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
