import { describe, expect, test } from 'vitest';
import { runSaveKey } from '../../src/action/cache-store.js';
import { notReadyPods } from '../../src/action/diagnostics.js';
import { needsDiagnostics } from '../../src/action/run-post.js';
import { expand, kubeconfigSecrets } from '../../src/action/secrets.js';
import { phaseRows } from '../../src/action/summary.js';
import type { UpResult } from '../../src/core/cluster/up.js';

const pem =
  '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKey1LineOne\nAwEHoUQDQgLineTwo==\n-----END EC PRIVATE KEY-----\n';
const kubeconfig = (user: Record<string, string>): string =>
  [
    'apiVersion: v1',
    'kind: Config',
    'clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]',
    'contexts: [{name: x, context: {cluster: c, user: u}}]',
    `users: [{name: u, user: ${JSON.stringify(user)}}]`,
  ].join('\n');

describe('kubeconfigSecrets', () => {
  test.each<[string, Record<string, string>, string[]]>([
    [
      'client key data and every line of the decoded key',
      { 'client-certificate-data': 'Y2VydA==', 'client-key-data': Buffer.from(pem).toString('base64') },
      [Buffer.from(pem).toString('base64'), pem.trim(), 'MHcCAQEEIKey1LineOne', 'AwEHoUQDQgLineTwo=='],
    ],
    ['a bearer token', { token: 'abc.def.ghi' }, ['abc.def.ghi']],
    ['a basic-auth password', { username: 'admin', password: 'hunter22' }, ['hunter22']],
    ['nothing secret', { 'client-certificate-data': 'Y2VydA==' }, []],
  ])('%s', (_, user, secrets) => {
    expect(kubeconfigSecrets(kubeconfig(user))).toEqual(secrets);
  });

  test.each([
    ['one-line', ['one-line']],
    ['  padded  ', ['padded']],
    ['', []],
    ['a\nbcde\r\nfghij', ['a\nbcde\r\nfghij', 'bcde', 'fghij']],
  ])('expand(%j) masks the value and each of its lines', (value, out) => {
    expect(expand(value)).toEqual(out);
  });
});

describe('notReadyPods', () => {
  const pod = (ns: string, name: string, ready: string | undefined) => ({
    metadata: { namespace: ns, name },
    status: { conditions: ready === undefined ? [] : [{ type: 'Ready', status: ready }] },
  });
  test.each<[string, string, { ns: string; name: string }[] | undefined]>([
    ['not JSON', 'error: the server is gone', undefined],
    ['empty list', '{"items":[]}', []],
    [
      'mixed',
      JSON.stringify({
        items: [
          pod('kube-system', 'coredns-1', 'True'),
          pod('default', 'web', 'False'),
          pod('x', 'pending', undefined),
        ],
      }),
      [
        { ns: 'default', name: 'web' },
        { ns: 'x', name: 'pending' },
      ],
    ],
  ])('%s', (_, text, pods) => {
    expect(notReadyPods(text)).toEqual(pods);
  });
});

describe('needsDiagnostics (post)', () => {
  test.each<[string, 'starting' | 'ready' | 'failed', boolean, string, boolean]>([
    ['job succeeded', 'ready', false, 'success', false],
    ['a later step failed', 'ready', false, 'failure', true],
    ['job cancelled', 'ready', false, 'cancelled', true],
    ['main died half-way', 'starting', false, 'failure', true],
    ['main failed and already diagnosed', 'failed', true, 'failure', false],
    ['status unknown (outside a runner), cluster ready', 'ready', false, '', false],
  ])('%s', (_, phase, diagnosed, jobStatus, expected) => {
    expect(needsDiagnostics({ phase, diagnosed }, jobStatus)).toBe(expected);
  });
});

describe('phaseRows (job summary)', () => {
  test('image steps first, then the phases, then the total', () => {
    const result = {
      phases: {
        image: 31.2,
        start: 1.1,
        'docker-ready': 0.8,
        'kubernetes-ready': 3.25,
        kubeconfig: 0.01,
        total: 36.4,
      },
    } as unknown as UpResult;
    expect(
      phaseRows(result, { ref: 'r', source: 'cache', cacheHit: true, steps: { 'cache-restore': 30.04 } }),
    ).toEqual([
      ['image: cache-restore', '30.0'],
      ['image', '31.2'],
      ['start', '1.1'],
      ['docker-ready', '0.8'],
      ['kubernetes-ready', '3.3'],
      ['kubeconfig', '0.0'],
      ['total', '36.4'],
    ]);
  });
});

describe('runSaveKey', () => {
  test.each<[NodeJS.ProcessEnv, string]>([
    [{ GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '2' }, 'k-r77-2'],
    [{ GITHUB_RUN_ID: '77' }, 'k-r77-1'],
  ])('%j → %s, under the restore prefix', (env, key) => {
    expect(runSaveKey('k', env)).toBe(key);
    expect(runSaveKey('k', env).startsWith('k-')).toBe(true);
  });
});
