import { afterAll, describe, expect, test } from 'vitest';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { leftovers, NOTHING } from '../support/docker.js';
import { kubectlOk, nodesReady } from '../support/kubectl.js';

const env = isolatedEnv();

afterAll(async () => {
  await cli(['down', '--name', 'v134'], env);
  expect(await leftovers('v134')).toEqual(NOTHING);
});

describe('a second Kubernetes minor', () => {
  test('1.34 bakes from source and comes up with a v1.34.4 server and a Ready node', async () => {
    const build = await cli(['build', '--kube-source', 'source', '--k8s-version', '1.34', '--json'], env);
    expect(build.code, build.stderr.slice(-3000)).toBe(0);
    expect(parseJson<{ tag: string }>(build).tag).toBe('kind-action/node:v1.34.4');

    const up = await cli(['up', '--name', 'v134', '--k8s-version', '1.34', '--json'], env);
    expect(up.code, up.stderr).toBe(0);
    const { kubeconfig } = parseJson<{ kubeconfig: string }>(up);
    const bin = `${process.env.KIND_ACTION_CACHE ?? '/var/cache/kind-action'}/kube/1.34.4/bin`;
    const version = JSON.parse(await kubectlOk(bin, kubeconfig, ['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe('v1.34.4');
    expect(await nodesReady(bin, kubeconfig)).toBe('True');
  });
});
