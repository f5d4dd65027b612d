import { describe, expect, test } from 'vitest';
import { handoffVariable, readHandoff } from '../../src/action/handoff.js';
import { bootOverlap } from '../../src/action/summary.js';
import { type RawUp, upInputs, waitInputs } from '../../src/cli/inputs.js';
import { UsageError } from '../../src/core/errors.js';
import { expandHome, kubeconfigPath } from '../../src/core/kubeconfig/path.js';
import { nodePhases, WAIT_TARGETS } from '../../src/core/ready/node-phases.js';
import { componentsNotReady, failingCheck, type NodeStatus } from '../../src/core/ready/node-status.js';
import { readRunEnv } from '../../src/core/run-env.js';

const env = readRunEnv({ HOME: '/home/me' });

describe('how far a start waits', () => {
  test.each([
    ['kubernetes', ['docker-ready', 'kubernetes-ready', 'kubeconfig']],
    ['docker', ['docker-ready']],
    ['none', []],
  ] as const)('%s → phases %j', (target, phases) => {
    expect(nodePhases('http://n:10080', target).map((p) => p.name)).toEqual(phases);
  });

  test('every target has its phases (the list the CLI and the Action offer)', () => {
    expect(WAIT_TARGETS.map((t) => nodePhases('http://n:10080', t).length)).toEqual([3, 1, 0]);
  });
});

const ok = (readySeconds: number) => ({ ok: true, readySeconds });
const no = (reason: string) => ({ ok: false, reason });

function status(over: Partial<NodeStatus>): NodeStatus {
  return {
    startedAt: '2026-12-07T00:00:00Z',
    uptimeSeconds: 10,
    docker: ok(2),
    kubernetes: no('dns: lookup failed'),
    checks: {},
    components: {},
    ...over,
  };
}

describe('the failing readiness check, from /status', () => {
  test.each<[string, Partial<NodeStatus>, { check: string; reason: string } | undefined]>([
    [
      'the check whose reason names itself, not the later ones it holds up',
      {
        kubernetes: no('coredns: 0 ready pods'),
        checks: {
          apiserver: ok(3),
          dns: no('coredns: 0 ready pods'),
          node: ok(4),
          coredns: no('coredns: 0 ready pods'),
          serviceaccount: no('coredns: 0 ready pods'),
        },
      },
      { check: 'coredns', reason: 'coredns: 0 ready pods' },
    ],
    [
      'Docker not answering comes first',
      { docker: no('docker: daemon not answering yet'), checks: { apiserver: no('apiserver: refused') } },
      { check: 'docker', reason: 'docker: daemon not answering yet' },
    ],
    [
      'no checks reported yet: named from the overall reason',
      { kubernetes: no('credentials: not generated yet') },
      { check: 'credentials', reason: 'credentials: not generated yet' },
    ],
    ['everything ready', { kubernetes: ok(5), checks: { dns: ok(5) } }, undefined],
  ])('%s', (_, over, expected) => {
    expect(failingCheck(status(over))).toEqual(expected);
  });

  test('components not ready, with their state and reason', () => {
    const s = status({
      components: {
        etcd: { ...ok(1), state: 'running' },
        'kube-scheduler': { ...no('exited 1'), state: 'restarting', restarts: 3 },
      },
    });
    expect(componentsNotReady(s)).toEqual(['kube-scheduler (restarting: exited 1)']);
  });
});

describe('boot overlap in the wait step summary', () => {
  test.each([
    // gap, wait started at (node uptime), Kubernetes ready at → overlapped, waited
    ['ready before the wait step: the rest of the boot overlapped', 20, 30, 18, 8, 0],
    ['ready during the wait step: the gap overlapped', 3, 6, 9, 3, 3],
    ['wait step right after main: nothing overlapped', 0, 4, 9, 0, 5],
  ])('%s', (_, gap, waitStartedAt, kubernetesReadyAt, overlapped, waited) => {
    const got = bootOverlap(gap, { waitStartedAt, dockerReadyAt: 2, kubernetesReadyAt });
    expect(got).toEqual({ overlapped, waited, kubernetesReadyAt });
  });

  test('ready already before main returned: no overlap claimed', () => {
    expect(bootOverlap(5, { waitStartedAt: 30, dockerReadyAt: 2, kubernetesReadyAt: 8 })).toMatchObject({
      overlapped: 0,
      waited: 0,
    });
  });

  test('no readiness time known: no overlap', () => {
    expect(
      bootOverlap(5, { waitStartedAt: 3, dockerReadyAt: 2, kubernetesReadyAt: undefined }),
    ).toBeUndefined();
  });
});

describe("main's handoff to the wait sub-action", () => {
  test.each([
    ['kind', 'KIND_ACTION_CLUSTER_KIND'],
    ['ci-1', 'KIND_ACTION_CLUSTER_CI_1'],
  ])('%s → %s', (name, variable) => {
    expect(handoffVariable(name)).toBe(variable);
  });

  test('read back; anything malformed is no handoff', () => {
    const endpoint = { kind: 'unix', socketPath: '/var/run/docker.sock', source: 'default' };
    const value = JSON.stringify({ endpoint, returnedAt: 1700, installKubectl: true });
    expect(readHandoff({ KIND_ACTION_CLUSTER_KIND: value }, 'kind')).toEqual({
      endpoint,
      returnedAt: 1700,
      installKubectl: true,
    });
    for (const bad of ['', '{', '{"returnedAt":"x"}', '{"returnedAt":1}']) {
      expect(readHandoff({ KIND_ACTION_CLUSTER_KIND: bad }, 'kind')).toBeUndefined();
    }
  });
});

describe('~ in a kubeconfig path (both adapters, through the core)', () => {
  test.each([
    ['~', '/home/me'],
    ['~/', '/home/me'],
    ['~/.kube/config', '/home/me/.kube/config'],
    ['~other/config', '~other/config'],
    ['a/~/b', 'a/~/b'],
  ])('expandHome(%j) → %j', (given, expanded) => {
    expect(expandHome(given, '/home/me')).toBe(expanded);
  });

  test('the CLI flag and the path builder expand it', () => {
    expect(kubeconfigPath('~/kc.yaml', 'kind', '/home/me')).toBe('/home/me/kc.yaml');
    const raw = { name: 'kind', timeout: '180s', kubeconfig: '~/w.yaml' };
    expect(waitInputs(raw, env).kubeconfigPath).toBe('/home/me/w.yaml');
  });
});

describe('CLI inputs for the later wait', () => {
  const up: RawUp = {
    name: 'kind',
    timeout: '180s',
    ttl: '6h',
    publish: [],
    listenAddress: '127.0.0.1',
    privilegedMode: 'auto',
    kubeSource: 'release',
    waitFor: 'docker',
  };

  test('up --wait-for is read; an unknown value names the flag', () => {
    expect(upInputs(up, env).waitFor).toBe('docker');
    expect(() => upInputs({ ...up, waitFor: 'api' }, env)).toThrow(UsageError);
    expect(() => upInputs({ ...up, waitFor: 'api' }, env)).toThrow(/^wait-for: "api" is not one of/);
  });

  test('wait --name finds the cluster; wait --url a node started elsewhere', () => {
    expect(waitInputs({ name: 'ci', timeout: '1m' }, env)).toEqual({
      by: 'name',
      name: 'ci',
      timeoutMs: 60_000,
      kubeconfigPath: undefined,
      fallbackKubeconfig: '/home/me/.kube/kind-action-ci.yaml',
      json: false,
    });
    expect(waitInputs({ name: 'ci', timeout: '1m', url: 'http://kind:10080/x' }, env)).toMatchObject({
      by: 'url',
      url: 'http://kind:10080',
      apiServer: 'https://kind:8443',
    });
    expect(() => waitInputs({ name: 'ci', timeout: '1m', apiServer: 'https://k:8443' }, env)).toThrow(
      /^api-server: only with --url$/,
    );
  });
});
