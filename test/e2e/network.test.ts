import { afterAll, describe, expect, inject, test } from 'vitest';
import type { UpResult } from '../../src/core/cluster/up.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { buildHelloApp } from '../support/hello-app.js';
import { runPodToCompletion } from '../support/kubectl.js';

const kubeBin = inject('kubeBin');
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
