import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { UpResult } from '../../src/core/cluster/up.js';
import { KUBERNETES_RELEASES, RUNTIME_VERSIONS } from '../../src/core/image/versions.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { leftovers, NOTHING } from '../support/docker.js';
import { execOk } from '../support/exec.js';
import { buildHelloApp, HELLO_APP } from '../support/hello-app.js';
import { kubeBinDir } from '../support/kube-bin.js';
import { deployHelloAndFetchByDns, kubectlOk, nodesReady } from '../support/kubectl.js';

const env = isolatedEnv();
const names = KUBERNETES_RELEASES.map((r) => `v${r.minor.replace('.', '')}`);

afterAll(async () => {
  for (const name of names) {
    await cli(['down', '--name', name], env);
    expect(await leftovers(name)).toEqual(NOTHING);
  }
});

/** Run a command in the node container and return its stdout. */
async function inNode(id: string, cmd: string[]): Promise<string> {
  return execOk('docker', ['exec', id, ...cmd]);
}

/** The major.minor.patch a `--version` line names. */
function semver(text: string): number[] {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) throw new Error(`no version in ${JSON.stringify(text)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

// One case per row of versions.json: adding a minor adds a case.
describe.each(KUBERNETES_RELEASES.map((r) => [r.minor, r] as const))('Kubernetes %s', (minor, release) => {
  const name = `v${minor.replace('.', '')}`;

  test('bakes from source, comes up with its pinned patch on containerd 2, and runs the user flow', async () => {
    const build = await cli(['build', '--kube-source', 'source', '--k8s-version', minor, '--json'], env);
    expect(build.code, build.stderr.slice(-3000)).toBe(0);
    expect(parseJson<{ tag: string }>(build).tag).toBe(`kind-action/node:v${release.version}`);
    const kubeBin = await kubeBinDir(release.version);

    const r = await cli(['up', '--name', name, '--k8s-version', minor, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const up = parseJson<UpResult>(r);

    const version = JSON.parse(await kubectlOk(kubeBin, up.kubeconfig, ['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe(`v${release.version}`);
    expect(await nodesReady(kubeBin, up.kubeconfig)).toBe('True');

    // The runtime is the one the table pins: containerd 2, runc and Docker Engine.
    const containerd = await inNode(up.containerId, ['containerd', '--version']);
    expect(semver(containerd)[0]).toBeGreaterThanOrEqual(2);
    expect(containerd).toContain(`v${RUNTIME_VERSIONS.containerd}`);
    const runtime = JSON.parse(
      await kubectlOk(kubeBin, up.kubeconfig, ['get', 'node', '-o', 'jsonpath={.items[0].status.nodeInfo}']),
    ) as { containerRuntimeVersion: string };
    expect(runtime.containerRuntimeVersion).toBe(`containerd://${RUNTIME_VERSIONS.containerd}`);
    expect(await inNode(up.containerId, ['runc', '--version'])).toContain(
      `runc version ${RUNTIME_VERSIONS.runc}`,
    );

    // The seed's flow: build against the node's Docker, run it with no push,
    // reach it by its Service's DNS name from another pod.
    await buildHelloApp(up.dockerHost, 'hello-app:e2e');
    const dockerEnv = { env: { ...process.env, DOCKER_HOST: up.dockerHost } };
    expect((await execOk('docker', ['version', '--format', '{{.Server.Version}}'], dockerEnv)).trim()).toBe(
      RUNTIME_VERSIONS.docker,
    );
    // The user's image is listed once, and the CRI's own references add no rows.
    const rows = (await execOk('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], dockerEnv))
      .trim()
      .split('\n');
    expect(rows.filter((row) => row === 'hello-app:e2e')).toHaveLength(1);
    expect(rows.filter((row) => row.startsWith('sha256') || row.startsWith('<none>'))).toEqual([]);

    const manifest = join(HELLO_APP, 'k8s.yaml');
    const logs = await deployHelloAndFetchByDns(kubeBin, up.kubeconfig, manifest, 'hello-app:e2e');
    expect(logs).toMatch(/hello\.default\.svc\.cluster\.local:8080\/ -> \d+ bytes: hello from hello-/);

    const down = await cli(['down', '--name', name], env);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers(name)).toEqual(NOTHING);
  });
});
