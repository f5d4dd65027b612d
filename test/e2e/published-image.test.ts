import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import { nodeArch } from '../../src/core/package.js';
import type { PublishResult } from '../../src/core/publish/publish.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { kubectlOk } from '../support/kubectl.js';
import { E2E_K8S } from '../support/node-image-setup.js';
import { type RunningRegistry, startRegistry } from '../support/registry.js';

/**
 * The real node image published to a real registry (go-containerregistry's,
 * on a random 127.0.0.1 port) with `kind-action publish`, then started by
 * `up --repository` from there: `up` has no local image of that repository
 * (publish leaves none), pulls it, and the cluster is Ready.
 */
const kubeBin = inject('kubeBin');
const env = isolatedEnv();
let registry: RunningRegistry;
let repository = '';
let published: PublishResult;

beforeAll(async () => {
  registry = await startRegistry({ publish: true });
  repository = `127.0.0.1:${registry.hostPort}/ka-e2e/node`;
}, 120_000);

afterAll(async () => {
  await cli(['down', '--name', 'e2e-pull'], env);
  expect(await leftovers('e2e-pull')).toEqual(NOTHING);
  await docker
    .getImage(`${repository}:v${E2E_K8S}`)
    .remove()
    .catch(() => {});
  await registry?.stop();
});

describe('publish, then up --repository pulls it', () => {
  test('publish pushes the baked image and prints its digest; no local tag of the repository is left', async () => {
    const r = await cli(['publish', '--repository', repository, '--k8s-version', E2E_K8S, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    published = parseJson<PublishResult>(r);
    expect(published).toMatchObject({ repository, tag: `v${E2E_K8S}` });
    expect(published.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(published.manifests).toEqual({ [nodeArch()]: published.digest });
    // The registry serves that digest under the tag.
    const [host, ...path] = repository.split('/');
    const res = await fetch(`http://${host}/v2/${path.join('/')}/manifests/v${E2E_K8S}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(res.headers.get('docker-content-digest')).toBe(published.digest);
    const local = await docker
      .getImage(`${repository}:v${E2E_K8S}`)
      .inspect()
      .catch(() => undefined);
    expect(local).toBeUndefined();
  });

  test('up --repository pulls it, says pull, and the node is Ready', async () => {
    const r = await cli(
      ['up', '--name', 'e2e-pull', '--repository', repository, '--k8s-version', E2E_K8S, '--json'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const up = parseJson<UpJson & { image: string; imageSource: string }>(r);
    expect(up).toMatchObject({ image: `${repository}:v${E2E_K8S}`, imageSource: 'pull' });
    expect(r.stderr).toContain(`pulling ${repository}:v${E2E_K8S} (${published.digest})`);
    const image = await docker.getImage(`${repository}:v${E2E_K8S}`).inspect();
    expect(image.RepoDigests).toContain(`${repository}@${published.digest}`);
    const ready = await kubectlOk(kubeBin, up.kubeconfig, [
      'get',
      'nodes',
      '-o',
      'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}',
    ]);
    expect(ready.trim()).toBe('True');
  });
});
