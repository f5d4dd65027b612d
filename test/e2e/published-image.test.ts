import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import { localNodeImage } from '../../src/core/image/versions.js';
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

/**
 * Two architectures make a multi-arch index (crane, pinned and built from Go
 * modules, writes it). This machine bakes only its own architecture, so the
 * other one's image is a stand-in: a one-file image built `FROM scratch` for
 * that platform (no emulation needed), under the local tag publish takes it
 * from. The index must name both manifests with their platforms, and a pull
 * by the tag on this machine must get the real node image.
 */
describe('publish --arch amd64,arm64 writes a multi-arch index', () => {
  const other = nodeArch() === 'amd64' ? 'arm64' : 'amd64';
  const standIn = localNodeImage(E2E_K8S, other);
  let madeStandIn = false;
  let multi = '';

  beforeAll(async () => {
    multi = `127.0.0.1:${registry.hostPort}/ka-e2e/multi`;
    if (
      await docker
        .getImage(standIn)
        .inspect()
        .catch(() => undefined)
    )
      return;
    const stream = await docker.buildImage(
      {
        context: new URL('../fixtures/arch-stand-in', import.meta.url).pathname,
        src: ['Dockerfile', 'arch.txt'],
      },
      { t: standIn, platform: `linux/${other}` },
    );
    await new Promise<void>((resolve, reject) =>
      docker.modem.followProgress(stream, (err: Error | null, out: { error?: string }[]) => {
        const failed = out?.find((e) => e.error);
        if (err || failed) reject(err ?? new Error(failed?.error));
        else resolve();
      }),
    );
    madeStandIn = true;
  }, 120_000);

  afterAll(async () => {
    if (madeStandIn)
      await docker
        .getImage(standIn)
        .remove()
        .catch(() => {});
    await docker
      .getImage(`${multi}:v${E2E_K8S}`)
      .remove()
      .catch(() => {});
  });

  test('the index names each architecture’s manifest, and a pull here gets this machine’s node image', async () => {
    const arches = ['amd64', 'arm64'];
    const r = await cli(
      ['publish', '--repository', multi, '--k8s-version', E2E_K8S, '--arch', arches.join(','), '--json'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const result = parseJson<PublishResult>(r);
    expect(Object.keys(result.manifests).sort()).toEqual(arches);
    expect(result.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(Object.values(result.manifests)).not.toContain(result.digest);

    const [host, ...path] = multi.split('/');
    const res = await fetch(`http://${host}/v2/${path.join('/')}/manifests/v${E2E_K8S}`, {
      headers: {
        accept:
          'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json',
      },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(result.digest);
    const index = (await res.json()) as {
      mediaType: string;
      manifests: { digest: string; platform?: { os: string; architecture: string } }[];
    };
    expect(index.mediaType).toMatch(/image\.index|manifest\.list/);
    const byArch = Object.fromEntries(index.manifests.map((m) => [m.platform?.architecture, m]));
    for (const arch of arches) {
      expect(byArch[arch]?.digest).toBe(result.manifests[arch]);
      expect(byArch[arch]?.platform?.os).toBe('linux');
    }
    // No local tag of the repository is left by publish.
    expect(
      await docker
        .getImage(`${multi}:v${E2E_K8S}-${other}`)
        .inspect()
        .catch(() => undefined),
    ).toBeUndefined();

    // Docker picks this machine's manifest from the index: the node image it has here.
    await new Promise<void>((resolve, reject) =>
      docker.pull(`${multi}:v${E2E_K8S}`, (err: Error | null, stream: NodeJS.ReadableStream) => {
        if (err) return reject(err);
        docker.modem.followProgress(stream, (e: Error | null) => (e ? reject(e) : resolve()));
      }),
    );
    const [pulled, local] = await Promise.all([
      docker.getImage(`${multi}:v${E2E_K8S}`).inspect(),
      docker.getImage(localNodeImage(E2E_K8S)).inspect(),
    ]);
    expect(pulled.Id).toBe(local.Id);
    expect(pulled.Architecture).toBe(nodeArch());
  });
});
