import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { runAct } from '../support/act.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { execOk } from '../support/exec.js';
import { type RunningRegistry, startRegistry } from '../support/registry.js';

/**
 * The repository's own workflows (.github/workflows), run by nektos/act on this host
 * (`-P ubuntu-24.04=-self-hosted`): ci.yml's self-test and negative jobs with `uses: ./`,
 * and release.yml's bake-and-push job against a registry on a random localhost port.
 * Only the amd64 legs run: this host is amd64 (the arm64 runner leg is GitHub's).
 */
const table = JSON.parse(readFileSync('versions.json', 'utf8')) as {
  defaultMinor: string;
  kubernetes: Record<string, { version: string }>;
};
const MINOR = table.defaultMinor;
const VERSION = table.kubernetes[MINOR]?.version ?? '';
/** The node image the project's setup baked: the self-test finds it local, the bake finds it current. */
const NODE_IMAGE = inject('nodeImage');

const scratch = mkdtempSync(join(tmpdir(), 'ka-act-'));
/** act keeps its work trees under $HOME/.cache/act; the Action writes kubeconfigs under $HOME. */
const home = join(scratch, 'home');
const cacheServerPath = join(scratch, 'cache-server');
/** Go's caches stay where they are (a bake compiles the image builder). */
const goEnv = async (): Promise<NodeJS.ProcessEnv> => {
  const [gocache, gomodcache, gopath] = (await execOk('go', ['env', 'GOCACHE', 'GOMODCACHE', 'GOPATH']))
    .trim()
    .split('\n');
  return { HOME: home, GOCACHE: gocache, GOMODCACHE: gomodcache, GOPATH: gopath };
};

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The last lines of act's log, for an assertion message. */
const tail = (text: string): string => text.split('\n').slice(-60).join('\n');

describe('ci.yml under act', () => {
  test(`self-test (Kubernetes ${MINOR}): uses ./, kubectl get nodes, an image built on the node runs in a pod; post removes the cluster`, async () => {
    expect(NODE_IMAGE).toBe(`kind-action/node:v${VERSION}`);
    const r = await runAct({
      workflow: '.github/workflows/ci.yml',
      job: 'self-test',
      platforms: ['ubuntu-24.04'],
      matrix: ['os:ubuntu-24.04', `k8s:${MINOR}`],
      cacheServerPath,
      env: await goEnv(),
    });
    const out = r.stdout + r.stderr;
    expect(r.code, tail(out)).toBe(0);
    // The versions job ran first and fed the matrix from the table.
    expect(out).toContain(`minors=${JSON.stringify(Object.keys(table.kubernetes))}`);
    expect(out).toContain(`Kubernetes ${MINOR})] 🏁  Job succeeded`);
    expect(out).toMatch(new RegExp(`kind-control-plane\\s+Ready\\s+control-plane\\s+\\S+\\s+v${VERSION}`));
    expect(out).toContain('job.batch/self-test condition met');
    expect(out).toContain('Success - Main an image built against the node runs in a pod');
    expect(out).toContain('deleted cluster "self-test"');
    expect(await leftovers('self-test')).toEqual(NOTHING);
  }, 900_000);

  test('negative: the bad input fails its step, the assertion step passes, nothing is started', async () => {
    const r = await runAct({
      workflow: '.github/workflows/ci.yml',
      job: 'negative',
      platforms: ['ubuntu-24.04'],
      cacheServerPath,
      env: await goEnv(),
    });
    const out = r.stdout + r.stderr;
    expect(r.code, tail(out)).toBe(0);
    expect(out).toMatch(/::error::k8s-version: "1\.20" is not supported/);
    expect(out).toContain('Failure - Main ./');
    expect(out).toContain('Success - Main the step failed, and nothing was started');
    expect(out).toContain('🏁  Job succeeded');
    expect(await leftovers('negative')).toEqual(NOTHING);
  }, 300_000);
});

describe('release.yml under act', () => {
  let registry: RunningRegistry | undefined;
  afterAll(async () => {
    if (!registry?.hostPort) return;
    // Whatever the push left tagged for the test registry.
    const prefix = `127.0.0.1:${registry.hostPort}/`;
    for (const image of await docker.listImages())
      for (const tag of image.RepoTags ?? [])
        if (tag.startsWith(prefix))
          await docker
            .getImage(tag)
            .remove()
            .catch(() => undefined);
    await registry.stop();
  });

  test(`bake and push (${MINOR}, amd64) with kind-action publish to a local registry`, async () => {
    const password = randomBytes(12).toString('hex');
    registry = await startRegistry({ publish: true, user: 'kind-bot', password });
    const repository = `127.0.0.1:${registry.hostPort}/kind-action-node`;
    const event = join(scratch, 'tag.json');
    writeFileSync(event, JSON.stringify({ ref: 'refs/tags/v0.0.0-act' }));
    const r = await runAct({
      workflow: '.github/workflows/release.yml',
      job: 'bake',
      platforms: ['ubuntu-24.04'],
      matrix: [`minor:${MINOR}`, 'arch:amd64'],
      vars: { NODE_REPOSITORY: repository, KUBE_SOURCE: 'source' },
      secrets: { GITHUB_TOKEN: password },
      actor: 'kind-bot',
      eventPath: event,
      cacheServerPath,
      env: await goEnv(),
    });
    const out = r.stdout + r.stderr;
    expect(r.code, tail(out)).toBe(0);
    expect(out).not.toContain(password);
    const pushed = new RegExp(`pushed ${repository.replaceAll('.', '\\.')}-amd64@(sha256:[0-9a-f]{64})`).exec(
      out,
    );
    expect(pushed, tail(out)).not.toBeNull();

    // The registry holds the tag, at the digest the job printed.
    const res = await fetch(
      `http://${repository.split('/')[0]}/v2/kind-action-node-amd64/manifests/v${VERSION}`,
      {
        headers: {
          authorization: `Basic ${Buffer.from(`kind-bot:${password}`).toString('base64')}`,
          accept: [
            'application/vnd.oci.image.index.v1+json',
            'application/vnd.docker.distribution.manifest.list.v2+json',
            'application/vnd.oci.image.manifest.v1+json',
            'application/vnd.docker.distribution.manifest.v2+json',
          ].join(', '),
        },
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(pushed?.[1]);
  }, 1_800_000);
});
