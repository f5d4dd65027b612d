import { createServer } from 'node:http';
import { afterAll, describe, expect, inject, test } from 'vitest';
import type { UpResult } from '../../src/core/cluster/up.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { buildHelloApp } from '../support/hello-app.js';
import { runPodToCompletion } from '../support/kubectl.js';

const kubeBin = inject('kubeBin');

/** An HTTP server in this process, on every host address, serving 1 MiB at /1mb. */
async function serveOneMegabyte(): Promise<{ port: number; close: () => void }> {
  const body = Buffer.alloc(1 << 20, 'x');
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/1mb' ? 200 : 404, { 'content-length': body.length });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return { port: address.port, close: () => server.close() };
}
const image = inject('nodeImage');
const env = isolatedEnv();

afterAll(async () => {
  await cli(['down', '--name', 'mtu'], env);
  expect(await leftovers('mtu')).toEqual(NOTHING);
});

describe('the node on a network with a small MTU', () => {
  test('pods get an MTU no larger than the network under the node', async () => {
    // Labelled for the cluster, so `down` removes the network with the node.
    await docker.createNetwork({
      Name: 'kind-action-mtu-test',
      Options: { 'com.docker.network.driver.mtu': '1400' },
      Labels: { 'io.kind-action.managed': 'true', 'io.kind-action.cluster': 'mtu' },
    });
    const r = await cli(
      ['up', '--name', 'mtu', '--image', image, '--network', 'kind-action-mtu-test', '--json'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const up = parseJson<UpResult>(r);

    await buildHelloApp(up.dockerHost, 'hello-app:mtu');
    const logs = await runPodToCompletion(kubeBin, up.kubeconfig, {
      name: 'mtu',
      image: 'hello-app:mtu',
      command: ['/hello-app', 'mtu'],
    });
    const eth0 = /^eth0 (\d+)$/m.exec(logs);
    expect(eth0, logs).not.toBeNull();
    expect(Number(eth0?.[1])).toBeLessThanOrEqual(1400);

    // Full-size packets both ways: a pod fetches 1 MB from a server on the
    // host's network (a wrong MTU shows as a transfer that stalls).
    const server = await serveOneMegabyte();
    try {
      const net = await docker.getNetwork('kind-action-mtu-test').inspect();
      const gateway = net.IPAM?.Config?.[0]?.Gateway;
      expect(gateway).toBeTruthy();
      const url = `http://${gateway}:${server.port}/1mb`;
      const fetched = await runPodToCompletion(kubeBin, up.kubeconfig, {
        name: 'fetch-1mb',
        image: 'hello-app:mtu',
        command: ['/hello-app', 'fetch', url],
      });
      expect(fetched).toContain(`${url} -> ${1 << 20} bytes`);
    } finally {
      server.close();
    }
  });

  test('a network that does not exist is bad input, and nothing is left', async () => {
    const r = await cli(
      ['up', '--name', 'nonet', '--image', image, '--network', 'kind-action-no-such-net'],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/network kind-action-no-such-net not found/);
    expect(await leftovers('nonet')).toEqual(NOTHING);
  });
});
