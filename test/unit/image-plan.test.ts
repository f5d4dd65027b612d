import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AgentModeMissingError, BakeError, HookFailedError } from '../../src/core/errors.js';
import { CUSTOMIZE_MODE, customizeFailure, labelChange } from '../../src/core/image/customize-hooks.js';
import { layeredParts } from '../../src/core/image/plan.js';
import { VERSION } from '../../src/core/version.js';

const spec = { k8sVersion: '1.37.2', arch: 'amd64', cacheKeySuffix: 'x' };
const H = 'a'.repeat(64);

describe('layeredParts: which runs are the published image plus layers of their own', () => {
  test.each<[string, string[], Record<string, string>, boolean]>([
    ['the plain image', [], {}, false],
    ['preloads only', ['redis:7'], {}, true],
    ['an after-cluster hook only', [], { 'after-cluster': H }, true],
    ['a before-cluster hook only', [], { 'before-cluster': H }, true],
    ['preloads and both hooks', ['redis:7'], { 'before-cluster': H, 'after-cluster': H }, true],
  ])('%s', (_, preload, hooks, layered) => {
    const parts = layeredParts({ ...spec, preload }, hooks);
    if (!layered) {
      expect(parts).toBeUndefined();
      return;
    }
    // the hooks' content hashes are part of the top-layers key
    expect(parts).toEqual({
      toolVersion: VERSION,
      k8sVersion: '1.37.2',
      arch: 'amd64',
      preload,
      hooks,
      suffix: 'x',
    });
  });
});

describe('customizeFailure: what a failed customize run is', () => {
  const base = 'r.example/node:v1.37.2';
  test('an agent without the mode (its own words for an unknown mode)', () => {
    const err = customizeFailure(
      base,
      1,
      '[agent] error: unknown subcommand "customize" (want one of: bootstrap, run)\n',
    );
    expect(err).toBeInstanceOf(AgentModeMissingError);
    expect(err.message).toContain(base);
  });

  test('a hook that failed: named by the hook, with its own output lines', () => {
    const log = [
      '[agent] running hook after-cluster',
      '[hook:after-cluster] creating things',
      '[containerd] noise',
      '[hook:after-cluster] no such namespace',
      '[agent] stopping the cluster',
      '[agent] error: hook after-cluster: exit status 3',
    ].join('\n');
    const err = customizeFailure(base, 1, log);
    expect(err).toBeInstanceOf(HookFailedError);
    expect(err.field).toBe('after-cluster');
    expect((err as HookFailedError).output).toBe(
      '[hook:after-cluster] creating things\n[hook:after-cluster] no such namespace',
    );
    expect(err.message).toMatch(/^after-cluster: the hook failed \(exit status 3\)\n/);
  });

  test('anything else: a bake error with the log tail', () => {
    const err = customizeFailure(base, 2, '[agent] error: containerd: not healthy\n');
    expect(err).toBeInstanceOf(BakeError);
    expect(err).not.toBeInstanceOf(HookFailedError);
    expect(err.message).toContain('exited with 2');
    expect(err.message).toContain('containerd: not healthy');
  });
});

test('labelChange: every label in one instruction, values quoted', () => {
  expect(labelChange({ 'io.kind-action.base': 'r@sha256:1', a: 'two words' })).toBe(
    'LABEL io.kind-action.base="r@sha256:1" a="two words"',
  );
});

test("the agent's own words the customizer reads: its mode name, and what it says of a mode it lacks", () => {
  // Older agents answer an unknown mode this way; the fallback to the bake depends on it.
  const main = readFileSync(join(import.meta.dirname, '../../image/agent/main.go'), 'utf8');
  expect(main).toContain(`"${CUSTOMIZE_MODE}": func([]string) error { return customize() },`);
  expect(main).toContain('fmt.Errorf("unknown subcommand %q (want one of: %s)"');
  expect(main).toContain('log.Printf("error: %v", err)');
});
