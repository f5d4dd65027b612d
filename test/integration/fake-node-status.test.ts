import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { docker } from '../support/docker.js';
import { type FakeMode, fakeNodeImage } from '../support/fake-node.js';
import { STATUS_SCHEMA_PATH, statusSchemaErrors } from '../support/status-schema.js';

/**
 * The fake node stands in for the real one in the lifecycle, Action and CI
 * tests; what they read from its /status is only worth something if it has
 * the agent's shape, so it is checked against the one schema of /status.
 */
const started: string[] = [];

afterAll(async () => {
  for (const id of started) await docker.getContainer(id).remove({ force: true });
});

async function statusOf(mode: FakeMode): Promise<Record<string, unknown>> {
  const container = await docker.createContainer({
    Image: fakeNodeImage(mode),
    Labels: { 'io.kind-action.test': 'fake-node-status' },
    HostConfig: { PortBindings: { '10080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
  });
  started.push(container.id);
  await container.start();
  const info = await container.inspect();
  const port = info.NetworkSettings.Ports['10080/tcp']?.[0]?.HostPort;
  expect(port).toMatch(/^\d+$/);
  let last = '';
  for (let i = 0; i < 100; i++) {
    const r = await fetch(`http://127.0.0.1:${port}/status`).catch((err: unknown) => String(err));
    if (typeof r !== 'string' && r.ok) return (await r.json()) as Record<string, unknown>;
    last = typeof r === 'string' ? r : `HTTP ${r.status}`;
    await sleep(100);
  }
  throw new Error(`the fake node (${mode}) never answered /status: ${last}`);
}

describe(`the fake node's /status fits ${STATUS_SCHEMA_PATH}`, () => {
  test('ready: every condition holds, with the time it first did', async () => {
    const status = await statusOf('ready');
    expect(statusSchemaErrors(status)).toEqual([]);
    expect(status.docker).toMatchObject({ ok: true, readySeconds: expect.any(Number) });
    expect(status.kubernetes).toMatchObject({ ok: true, readySeconds: expect.any(Number) });
  });

  test('never: Docker answers, Kubernetes says why it is not ready', async () => {
    const status = await statusOf('never');
    expect(statusSchemaErrors(status)).toEqual([]);
    expect(status.docker).toMatchObject({ ok: true });
    expect(status.kubernetes).toEqual({ ok: false, reason: 'coredns: 0 ready pods' });
  });
});
