import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { getInputs, getWaitInputs, inputName, splitList } from '../../src/action/inputs.js';
import { describeError, UsageError } from '../../src/core/errors.js';
import { actionInputs, isRunnerInput } from '../support/sources-of-truth.js';

const hook = join(mkdtempSync(join(tmpdir(), 'ka-inputs-')), 'hook.sh');
writeFileSync(hook, '#!/bin/sh\ntrue\n');
const home = '/home/runner';
const USER_INPUTS = actionInputs().filter((input) => !isRunnerInput(input));

/** Set `with:` values the way the runner does, for one call. */
function withInputs(inputs: Record<string, string>): void {
  for (const [k, v] of Object.entries(inputs)) vi.stubEnv(`INPUT_${k.toUpperCase()}`, v);
}

/**
 * `read` (getInputs, or the wait sub-action's getWaitInputs) must refuse these
 * inputs; the message as the step reports it (fields worded as inputs).
 */
function refusal(inputs: Record<string, string>, read: (home: string) => unknown = getInputs): string {
  withInputs(inputs);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  let thrown: unknown;
  try {
    read(home);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(UsageError);
  return describeError(thrown, inputName);
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('getInputs', () => {
  test('an input left unset behaves as its default in action.yml', () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const unset = getInputs(home);
    withInputs(Object.fromEntries(USER_INPUTS.map((input) => [input.name, input.default])));
    expect(getInputs(home)).toEqual(unset);
    // The comparison means something only if action.yml gives defaults that matter.
    expect(USER_INPUTS.filter((input) => input.default !== '').map((input) => input.name)).toEqual(
      expect.arrayContaining(['name', 'wait', 'ttl', 'cache', 'build']),
    );
    expect(unset.kubeconfig).toBe(`${home}/.kube/kind-action-${unset.name}.yaml`);
  });

  test.each(
    actionInputs()
      .filter((input) => !isRunnerInput(input))
      .map((input) => input.name),
  )('action.yml input %s is read and checked: a hostile value is refused naming it', (input) => {
    expect(refusal({ [input]: 'a\n$(touch /tmp/ka-pwned)' })).toMatch(new RegExp(`^${input}: `));
  });

  test('every input is read and converted', () => {
    withInputs({
      name: 'ci-1',
      'k8s-version': 'v1.36.3',
      build: 'always',
      'preload-images': `nginx:1.27\n  registry.example.com:5000/app/api:v2 , busybox@sha256:${'a'.repeat(64)}`,
      'before-cluster': hook,
      'after-cluster': hook,
      'kube-source': 'source',
      cache: 'false',
      'cache-key-suffix': 'nightly.2',
      wait: '2m',
      ttl: '0',
      kubeconfig: '/tmp/kc.yaml',
      'export-docker-host': 'False',
      registry: 'registry.example.com:5000',
      'registry-user': 'bot',
      'registry-password': 's3cret',
      keep: 'TRUE',
      'wait-for': 'docker',
      'install-kubectl': 'false',
    });
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      out.push(String(s));
      return true;
    });
    expect(getInputs(home)).toMatchObject({
      name: 'ci-1',
      k8sVersion: '1.36.3',
      build: 'always',
      preloadImages: [
        'nginx:1.27',
        'registry.example.com:5000/app/api:v2',
        `busybox@sha256:${'a'.repeat(64)}`,
      ],
      beforeCluster: hook,
      afterCluster: hook,
      kubeSource: 'source',
      cache: false,
      cacheKeySuffix: 'nightly.2',
      waitMs: 120_000,
      ttlMs: 0,
      kubeconfig: '/tmp/kc.yaml',
      exportDockerHost: false,
      registry: { server: 'registry.example.com:5000', user: 'bot', password: 's3cret' },
      keep: true,
      waitFor: 'docker',
      installKubectl: false,
    });
    // The password is masked before anything else can print it.
    expect(out.join('')).toContain('::add-mask::s3cret');
  });

  test.each<[string, Record<string, string>, RegExp]>([
    ['unknown build', { build: 'sometimes' }, /^build: "sometimes" is not one of auto, always, never$/],
    ['wait not a duration', { wait: 'soon' }, /^wait: "soon" is not a duration/],
    ['ttl not a duration', { ttl: 'forever' }, /^ttl: "forever" is not a duration/],
    [
      'registry host too long',
      { registry: 'a'.repeat(300), 'registry-user': 'u', 'registry-password': 'p' },
      /^registry: .* is not a registry host/,
    ],
    [
      'bad preload entry',
      { 'preload-images': 'nginx:1\nNot An Image' },
      /^preload-images: "Not An Image" is not an image reference/,
    ],
    [
      'missing before-cluster',
      { 'before-cluster': '/nonexistent/hook.sh' },
      /^before-cluster: "\/nonexistent\/hook.sh" is not an existing file/,
    ],
    [
      'missing after-cluster',
      { 'after-cluster': 'no-such-hook.sh' },
      /^after-cluster: "no-such-hook.sh" is not an existing file/,
    ],
    [
      'registry-user without password',
      { 'registry-user': 'bot' },
      /^registry-user: given without registry-password$/,
    ],
    [
      'password without user',
      { 'registry-password': 'x' },
      /^registry-password: given without registry-user$/,
    ],
    ['registry without credentials', { registry: 'ghcr.io' }, /^registry: given without registry-user/],
    [
      'bad registry host',
      { registry: 'https://ghcr.io', 'registry-user': 'u', 'registry-password': 'p' },
      /^registry: .* is not a registry host/,
    ],
    ['cache: maybe', { cache: 'maybe' }, /^cache: "maybe" is not a boolean \(true or false\)$/],
    ['keep: yes', { keep: 'yes' }, /^keep: "yes" is not a boolean/],
    ['export-docker-host: 1', { 'export-docker-host': '1' }, /^export-docker-host: "1" is not a boolean/],
    ['bad name', { name: 'Bad_Name' }, /^name: "Bad_Name" is not a DNS label/],
    ['unsupported version', { 'k8s-version': '1.20' }, /^k8s-version: "1.20" is not supported/],
    ['bad kube-source', { 'kube-source': 'ftp' }, /^kube-source: "ftp" is not one of release, source$/],
    ['bad image', { image: 'UPPER/case' }, /^image: "UPPER\/case" is not an image reference/],
    [
      'image with build: always',
      { image: 'kind-action/node:v1', build: 'always' },
      /^image: cannot be combined with build: always$/,
    ],
    [
      'image with preload',
      { image: 'kind-action/node:v1', 'preload-images': 'nginx:1' },
      /^image: preload-images/,
    ],
    ['suffix with a comma', { 'cache-key-suffix': 'a,b' }, /^cache-key-suffix: "a,b" may hold only/],
    ['shell-hostile name', { name: '$(touch /tmp/ka-pwned)' }, /^name: .* is not a DNS label/],
    ['shell-hostile wait', { wait: '1s; rm -rf /' }, /^wait: .* is not a duration/],
    [
      'shell-hostile preload',
      { 'preload-images': 'nginx`id`' },
      /^preload-images: .* is not an image reference/,
    ],
    ['shell-hostile suffix', { 'cache-key-suffix': '$(id)' }, /^cache-key-suffix: .* may hold only/],
    ['newline in kubeconfig', { kubeconfig: 'a\nb' }, /^kubeconfig: "a\\nb" is not a usable file path/],
    ['unknown wait-for', { 'wait-for': 'api' }, /^wait-for: "api" is not one of kubernetes, docker, none$/],
    ['install-kubectl: yes', { 'install-kubectl': 'yes' }, /^install-kubectl: "yes" is not a boolean/],
  ])('%s → a UsageError naming the input', (_, inputs, message) => {
    expect(refusal(inputs)).toMatch(message);
  });
});

describe('kubeconfig: ~ and merging, as the CLI', () => {
  test.each([
    ['~/.kube/ci.yaml', `${home}/.kube/ci.yaml`],
    ['~', home],
    ['/abs/~/kc.yaml', '/abs/~/kc.yaml'],
  ])('kubeconfig %s → %s', (given, path) => {
    withInputs({ kubeconfig: given });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(getInputs(home).kubeconfig).toBe(path);
  });
});

/** The wait sub-action's inputs, read from its own action.yml. */
const WAIT_INPUTS = actionInputs('wait/action.yml');

describe('getWaitInputs (wait/action.yml)', () => {
  test('unset inputs behave as their defaults in wait/action.yml', () => {
    const unset = getWaitInputs(home);
    withInputs(Object.fromEntries(WAIT_INPUTS.map((input) => [input.name, input.default])));
    expect(getWaitInputs(home)).toEqual(unset);
    expect(WAIT_INPUTS.map((input) => input.name)).toEqual(expect.arrayContaining(['name', 'wait']));
    expect(unset).toEqual({
      name: 'kind',
      timeoutMs: 180_000,
      kubeconfig: undefined,
      fallbackKubeconfig: `${home}/.kube/kind-action-kind.yaml`,
    });
  });

  test.each(WAIT_INPUTS.map((input) => input.name))(
    'wait/action.yml input %s is read and checked: a hostile value is refused naming it',
    (input) => {
      expect(refusal({ [input]: 'a\n$(touch /tmp/ka-pwned)' }, getWaitInputs)).toMatch(
        new RegExp(`^${input}: `),
      );
    },
  );

  test('every input is read and converted; ~ expands', () => {
    withInputs({ name: 'ci-2', wait: '90s', kubeconfig: '~/kc.yaml' });
    expect(getWaitInputs(home)).toEqual({
      name: 'ci-2',
      timeoutMs: 90_000,
      kubeconfig: `${home}/kc.yaml`,
      fallbackKubeconfig: `${home}/.kube/kind-action-ci-2.yaml`,
    });
  });
});

describe('splitList', () => {
  test.each([
    ['', []],
    ['a:1', ['a:1']],
    ['a:1\nb:2', ['a:1', 'b:2']],
    ['a:1, b:2,,', ['a:1', 'b:2']],
    ['  a:1  \n\n # comment\nb:2 # why', ['a:1', 'b:2']],
  ])('%j → %j', (value, list) => {
    expect(splitList(value)).toEqual(list);
  });
});
