import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { leftovers, NOTHING, snapshot } from '../support/docker.js';
import { buildHelloApp, HELLO_APP } from '../support/hello-app.js';
import { deployHelloAndFetchByDns, kubectlOk } from '../support/kubectl.js';

const kubeBin = inject('kubeBin');
const image = inject('nodeImage');
const env = isolatedEnv();
let up: UpJson;
let hostPort = 0;
let before: Awaited<ReturnType<typeof snapshot>>;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof address === 'object' && address ? address.port : 0;
}

beforeAll(async () => {
  before = await snapshot();
  hostPort = await freePort();
  const r = await cli(
    ['up', '--name', 'e2e', '--image', image, '--publish', `127.0.0.1:${hostPort}:30080`, '--json'],
    env,
  );
  expect(r.code, r.stderr).toBe(0);
  up = parseJson<UpJson>(r);
});

afterAll(async () => {
  const r = await cli(['down', '--name', 'e2e'], env);
  expect(r.code).toBe(0);
  expect(await leftovers('e2e')).toEqual(NOTHING);
  const after = await snapshot();
  expect(after.containers).toEqual(before.containers);
  expect(after.volumes).toEqual(before.volumes);
  expect(after.networks).toEqual(before.networks);
});

describe('the real node image, end to end', () => {
  test('every node is Ready and the kubeconfig works with TLS verification', async () => {
    const out = await kubectlOk(kubeBin, up.kubeconfig, [
      'get',
      'nodes',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
    ]);
    const lines = out.trim().split('\n');
    // One node, and a line for it (an empty answer splits into one empty line, which fails below).
    expect(lines).toHaveLength(1);
    for (const line of lines) expect(line).toMatch(/=True$/);
    const cfg = readFileSync(up.kubeconfig, 'utf8');
    expect(cfg).not.toContain('insecure-skip-tls-verify');
  });

  test('an image built against the node is run by a pod with no push, reached by DNS and through --publish', async () => {
    // Built with the node's own Docker daemon: the kubelet's image store.
    await buildHelloApp(up.dockerHost, 'hello-app:e2e');
    // Another pod reaches it by its Service's DNS name.
    const manifest = join(HELLO_APP, 'k8s.yaml');
    const logs = await deployHelloAndFetchByDns(kubeBin, up.kubeconfig, manifest, 'hello-app:e2e');
    expect(logs).toMatch(/hello\.default\.svc\.cluster\.local:8080\/ -> \d+ bytes: hello from hello-/);

    // The NodePort, published on the host by `up --publish`.
    let body = '';
    for (let i = 0; i < 30 && !body; i++) {
      body = await fetch(`http://127.0.0.1:${hostPort}/`)
        .then((r) => r.text())
        .catch(() => '');
      if (!body) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(body).toMatch(/^hello from hello-/);
  });
});
