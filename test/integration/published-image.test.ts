import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DockerClient } from '../../src/core/docker/client.js';
import type { RegistryAuth } from '../../src/core/docker/registry.js';
import { DigestMismatchError, PlatformMismatchError } from '../../src/core/errors.js';
import type { PublishedSource } from '../../src/core/image/published.js';
import { type ImageRequest, resolveImage } from '../../src/core/image/resolve.js';
import {
  DEFAULT_KUBERNETES,
  KUBERNETES_VERSIONS,
  localNodeImage,
  publishedTag,
} from '../../src/core/image/versions.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';
import { nodeArch } from '../../src/core/package.js';
import { cli, isolatedEnv } from '../support/cli.js';
import { docker } from '../support/docker.js';
import { REGISTRY_IMAGE, type RunningRegistry, startRegistry } from '../support/registry.js';

/**
 * The published-image pull against a real registry (go-containerregistry's,
 * on a random 127.0.0.1 port) and the real daemon, with a small image in
 * place of the node: what is pulled, what is refused, and what falls back.
 * (The real node, published and pulled, is test/e2e/published-image.test.ts.)
 */
const V = KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '';
const TAG = publishedTag(V);
const USER = 'ka-user';
const PASSWORD = 'ka-s3cret-pw';
const OTHER_ARCH = nodeArch() === 'amd64' ? 'arm64' : 'amd64';

let open: RunningRegistry;
let locked: RunningRegistry;
let failing: Server;
let failingPort = 0;
let client: DockerClient;
const pulledRefs: string[] = [];

beforeAll(async () => {
  open = await startRegistry({
    publish: true,
    seed: [{ image: REGISTRY_IMAGE, ref: `ka-test/node:${TAG}` }],
    // An image in the repository the index test writes an index into.
    random: ['ka-test/other-arch:seed'],
  });
  locked = await startRegistry({
    publish: true,
    user: USER,
    password: PASSWORD,
    seed: [{ image: REGISTRY_IMAGE, ref: `ka-test/locked:${TAG}` }],
  });
  // A registry that answers every request with 500.
  failing = createServer((_, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('registry broken');
  });
  await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
  const address = failing.address();
  failingPort = typeof address === 'object' && address ? address.port : 0;
  client = await DockerClient.connect(
    { kind: 'socket', socketPath: '/var/run/docker.sock', source: 'the test' },
    silentLogger,
  );
}, 300_000);

afterAll(async () => {
  for (const ref of pulledRefs)
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => {});
  await open?.stop();
  await locked?.stop();
  failing?.close();
});

function repo(registry: RunningRegistry | number, name: string): string {
  return `127.0.0.1:${typeof registry === 'number' ? registry : registry.hostPort}/${name}`;
}

function mirror(repository: string, auth?: RegistryAuth): PublishedSource {
  return { repository, digest: undefined, explicit: true, auth };
}

async function resolve(published: PublishedSource) {
  const warnings: string[] = [];
  const baked: string[] = [];
  const log: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
  const req: ImageRequest = {
    k8sVersion: V,
    build: 'auto',
    published,
    // The bake is what a failed pull falls back to; here it only records that it was asked.
    bake: async (tag) => {
      baked.push(tag);
    },
  };
  const result = await resolveImage(client, req, log, new AbortController().signal).catch(
    (err: unknown) => err,
  );
  return { result, warnings, baked };
}

async function manifestOf(
  repository: string,
  tag = TAG,
): Promise<{ digest: string; size: number; mediaType: string }> {
  const [host, ...path] = repository.split('/');
  const res = await fetch(`http://${host}/v2/${path.join('/')}/manifests/${tag}`, {
    headers: {
      accept:
        'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json',
    },
  });
  const body = await res.arrayBuffer();
  return {
    digest: res.headers.get('docker-content-digest') ?? '',
    size: body.byteLength,
    mediaType: res.headers.get('content-type') ?? '',
  };
}

async function localImage(
  ref: string,
): Promise<{ Architecture?: string; RepoDigests?: string[] } | undefined> {
  return docker
    .getImage(ref)
    .inspect()
    .catch(() => undefined);
}

describe('pull of a published node image from a real registry', () => {
  test('a mirror: pulled by the digest its tag names, tagged REPOSITORY:vX.Y.Z, source pull', async () => {
    const repository = repo(open, 'ka-test/node');
    const ref = `${repository}:${TAG}`;
    pulledRefs.push(ref);
    expect(await localImage(ref)).toBeUndefined();
    const { digest } = await manifestOf(repository);
    const r = await resolve(mirror(repository));
    expect(r.result).toMatchObject({ ref, source: 'pull' });
    expect(r.warnings).toEqual([]);
    expect(r.baked).toEqual([]);
    const image = await localImage(ref);
    expect(image?.Architecture).toBe(nodeArch());
    expect(image?.RepoDigests).toContain(`${repository}@${digest}`);
    // The next resolution finds it locally, and the local bake is not the mirror's image.
    const again = await resolve(mirror(repository));
    expect(again.result).toMatchObject({ ref, source: 'local' });
  });

  test('a pinned digest the tag does not name is refused, and nothing is pulled', async () => {
    const repository = repo(open, 'ka-test/node');
    await docker
      .getImage(`${repository}:${TAG}`)
      .remove({ force: true })
      .catch(() => {});
    const pinned = `sha256:${'0'.repeat(64)}`;
    // The table's repository named explicitly is pinned by the table's digest too (publishedSource).
    const r = await resolve({ repository, digest: pinned, explicit: true, auth: undefined });
    expect(r.result).toBeInstanceOf(DigestMismatchError);
    expect((r.result as Error).message).toContain(`the version table pins ${pinned}`);
    expect(r.baked).toEqual([]);
    expect(await localImage(`${repository}:${TAG}`)).toBeUndefined();
  });

  test('an index without this architecture is refused, naming the ones it has', async () => {
    const repository = repo(open, 'ka-test/other-arch');
    const manifest = await manifestOf(repository, 'seed');
    const [host, ...path] = repository.split('/');
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...manifest, platform: { os: 'linux', architecture: OTHER_ARCH } }],
    };
    const put = await fetch(`http://${host}/v2/${path.join('/')}/manifests/${TAG}`, {
      method: 'PUT',
      headers: { 'content-type': index.mediaType },
      body: JSON.stringify(index),
    });
    expect(put.status, await put.text()).toBe(201);
    const r = await resolve(mirror(repository));
    expect(r.result).toBeInstanceOf(PlatformMismatchError);
    expect((r.result as Error).message).toMatch(
      new RegExp(`has no image for linux/${nodeArch()} \\(it has linux/${OTHER_ARCH}\\)`),
    );
    expect(r.baked).toEqual([]);
  });

  test.each([
    [
      'a registry that answers 500',
      () => repo(failingPort, 'ka-test/node'),
      undefined,
      /500|Internal Server Error|broken/i,
    ],
    [
      'a tag that does not exist',
      () => repo(open, 'ka-test/missing'),
      undefined,
      /manifest unknown|name unknown|not found/i,
    ],
    [
      'a registry that wants credentials, given none',
      () => repo(locked, 'ka-test/locked'),
      undefined,
      /unauthorized|authentication required|401|no basic auth/i,
    ],
  ])(
    '%s: exactly one warning naming the reference and the reason, then the bake',
    async (_, repository, auth, reason) => {
      const name = repository();
      const r = await resolve(mirror(name, auth));
      expect(r.result).toMatchObject({ ref: localNodeImage(V), source: 'bake' });
      expect(r.baked).toEqual([localNodeImage(V)]);
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toContain(`${name}:${TAG}`);
      expect(r.warnings[0]).toMatch(reason);
      expect(r.warnings[0]).not.toContain(PASSWORD);
    },
  );

  test('with credentials (REGISTRY / REGISTRY_USER / REGISTRY_PASSWORD for its host) the locked registry serves', async () => {
    const repository = repo(locked, 'ka-test/locked');
    pulledRefs.push(`${repository}:${TAG}`);
    const host = repository.split('/')[0] ?? '';
    const r = await resolve(mirror(repository, { username: USER, password: PASSWORD, serveraddress: host }));
    expect(r.result).toMatchObject({ ref: `${repository}:${TAG}`, source: 'pull' });
    expect(r.warnings).toEqual([]);
  });
});

describe('kind-action publish: refusals', () => {
  const env = isolatedEnv();

  test('a baked image that is not on the daemon: a named error, exit 2, nothing pushed', async () => {
    const repository = repo(open, 'ka-test/publish-missing');
    const r = await cli(
      ['publish', '--repository', repository, '--k8s-version', V, '--arch', OTHER_ARCH],
      env,
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${localNodeImage(V, OTHER_ARCH)} is not on this Docker daemon`);
    const [host, ...path] = repository.split('/');
    const res = await fetch(`http://${host}/v2/${path.join('/')}/tags/list`);
    expect(res.status).toBe(404);
  });
});
