import { describe, expect, test } from 'vitest';
import { statusSchemaErrors } from '../support/status-schema.js';

/** What the agent's statusHandler (image/agent/server.go) writes, shortened. */
const AGENT_STARTING = {
  startedAt: '2026-12-07T00:30:12.123456789Z',
  uptimeSeconds: 1.5,
  docker: { ok: true, readySeconds: 0.8 },
  kubernetes: { ok: false, reason: 'credentials: not generated yet' },
  checks: { 'api-readyz': { ok: false, reason: 'credentials: not generated yet' } },
  components: {
    etcd: { state: 'running', restarts: 0, ok: true, readySeconds: 0.4 },
    'kube-apiserver': { state: 'starting', restarts: 1, ok: false, reason: 'not checked yet' },
  },
  credentialsReady: false,
};

describe('the /status schema', () => {
  test('accepts the agent’s shape, before and after it is ready', () => {
    expect(statusSchemaErrors(AGENT_STARTING)).toEqual([]);
    const ready = { ...AGENT_STARTING, kubernetes: { ok: true, readySeconds: 2.1 }, credentialsReady: true };
    expect(statusSchemaErrors(ready)).toEqual([]);
  });

  test.each<[string, unknown, RegExp]>([
    [
      'the old fake node shape',
      { mode: 'never', uptime: 3, docker: { ready: true }, kubelet: { ready: false } },
      /must have required property 'startedAt'/,
    ],
    ['a probe that failed without a reason', { ...AGENT_STARTING, docker: { ok: false } }, /\/docker/],
    ['a ready time below zero', { ...AGENT_STARTING, docker: { ok: true, readySeconds: -1 } }, /\/docker/],
    [
      'a component without its state',
      { ...AGENT_STARTING, components: { etcd: { restarts: 0, ok: true } } },
      /\/components\/etcd/,
    ],
    ['an extra field', { ...AGENT_STARTING, mode: 'ready' }, /additional properties/],
    ['a local start time', { ...AGENT_STARTING, startedAt: '2026-12-07 00:30:12' }, /\/startedAt/],
  ])('refuses %s', (_, status, error) => {
    expect(statusSchemaErrors(status).join('\n')).toMatch(error);
  });
});
