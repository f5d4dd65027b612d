import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { KUBERNETES_RELEASES } from '../../src/core/image/versions.js';
import { kubectlEntry } from '../../src/core/job/names.js';
import { nodeArch } from '../../src/core/package.js';
import { docker } from '../support/docker.js';
import { exec } from '../support/exec.js';
import { fakeNodeImage } from '../support/fake-node.js';
import { loadComponent, loadPipeline, type ResolvedJob, resolveJob } from '../support/gitlab-config.js';
import { runJob, TEST_CLUSTER_PREFIX } from '../support/gitlab-runner.js';
import { buildJobImages, JOB_IMAGES } from '../support/job-image.js';
import { ensureKindJobImage } from '../support/kind-job-image.js';

/**
 * The template and the component, run the way GitLab Runner runs a job with a
 * service: the before_script and script come from the YAML files themselves.
 * `.kind` runs in the job image (kind-action wait); `.kind-sh` in an image of
 * the user's own (the POSIX sh wait, with curl, wget or busybox).
 */

/** The baked node image and the kubectl built with it (test/support/node-image-setup.ts). */
const REAL_NODE = inject('nodeImage');
const KUBECTL = join(inject('kubeBin'), 'kubectl');
const kubectlBind = `${KUBECTL}:/usr/local/bin/kubectl:ro`;

/** The POSIX sh path: a job image of the user's own. */
const template = (): ResolvedJob => resolveJob(loadPipeline('gitlab/kind.gitlab-ci.yml'), '.kind-sh');
/** The default: the job image, whose before_script is kind-action wait. */
const withJobImage = (): ResolvedJob => resolveJob(loadPipeline('gitlab/kind.gitlab-ci.yml'), '.kind');

/** The test's own checks, run after the template's before_script in the same shell. */
const SHOW = [
  'echo "KUBECONFIG=$KUBECONFIG"',
  'echo "DOCKER_HOST=$DOCKER_HOST"',
  'echo "mode $(stat -c %a "$KUBECONFIG")"',
  'cat "$KUBECONFIG"',
];
/** The node's Docker API, reached through DOCKER_HOST (tcp://host:port → http://host:port). */
const DOCKER_URL = 'http://$(echo "$DOCKER_HOST" | sed s#^tcp://##)/_ping';
const PING_CURL = `echo "ping $(curl -fsS "${DOCKER_URL}")"`;
const PING_WGET = `echo "ping $(wget -qO- "${DOCKER_URL}")"`;

async function ourLeftovers(): Promise<string[]> {
  const filters = { label: ['io.kind-action.managed=true'] };
  const ours = (labels: Record<string, string> | undefined) =>
    (labels?.['io.kind-action.cluster'] ?? '').startsWith(TEST_CLUSTER_PREFIX);
  const [containers, volumes, networks] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listVolumes({ filters }),
    docker.listNetworks({ filters }),
  ]);
  return [
    ...containers.filter((c) => ours(c.Labels)).map((c) => `container ${c.Names[0]}`),
    ...(volumes.Volumes ?? []).filter((v) => ours(v.Labels)).map((v) => `volume ${v.Name}`),
    ...networks.filter((n) => ours(n.Labels)).map((n) => `network ${n.Name}`),
  ];
}

async function imageExists(ref: string): Promise<boolean> {
  return docker
    .getImage(ref)
    .inspect()
    .then(() => true)
    .catch(() => false);
}

const realNodeAvailable = await imageExists(REAL_NODE);
if (!realNodeAvailable) {
  // The project's global setup bakes it; a missing image is a failure, never a skip.
  throw new Error(`${REAL_NODE} is required but not present (run: kind-action build --kube-source source)`);
}

let kindJobImage = '';

beforeAll(async () => {
  await buildJobImages();
  kindJobImage = await ensureKindJobImage();
}, 1_800_000);

afterAll(async () => {
  expect(await ourLeftovers()).toEqual([]);
});

describe('GitLab template against the test node (readiness protocol only)', () => {
  test('Docker executor, curl: waits, fetches /config, points it and DOCKER_HOST at the alias', async () => {
    const r = await runJob({
      job: template(),
      jobImage: JOB_IMAGES.curl.tag,
      executor: 'docker',
      serviceImage: fakeNodeImage('slow'),
      extraScript: [...SHOW, PING_CURL],
    });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('node service "kind" reached at kind (');
    expect(r.output).toContain('Docker executor');
    expect(r.output).toMatch(/Docker ready after \d+s/);
    expect(r.output).toContain('KUBECONFIG=/tmp/kind-action/kubeconfig');
    expect(r.output).toContain('DOCKER_HOST=tcp://kind:2375');
    expect(r.output).toContain('mode 600');
    expect(r.output).toMatch(/^ {4}server: https:\/\/kind:8443$/m);
    expect(r.output).not.toContain('172.30.99.1');
    expect(r.output).toContain('certificate-authority-data: ZmFrZS1jYQ==');
    expect(r.output).toContain('ping OK');
    // The slow node answers 503 for a few seconds first; the wait held.
    expect(r.serviceLogs).toContain('mode="slow"');
  });

  test.each([
    {
      name: 'Docker executor, wget only (no curl in the job image)',
      jobImage: JOB_IMAGES.wget.tag,
      executor: 'docker' as const,
      hostAliases: false,
      extraScript: ['command -v curl || echo "no curl"', ...SHOW, PING_WGET],
      expected: ['no curl'],
      server: 'https://kind:8443',
    },
    {
      name: 'busybox userland (sh, wget, no getent), as on Alpine images',
      jobImage: JOB_IMAGES.busybox.tag,
      executor: 'docker' as const,
      hostAliases: false,
      extraScript: [
        'readlink -f "$(command -v wget)"',
        'command -v getent || echo "no getent"',
        ...SHOW,
        PING_WGET,
      ],
      expected: ['/bin/busybox', 'no getent'],
      server: 'https://kind:8443',
    },
    {
      name: 'Kubernetes executor: the service shares the pod, so localhost is used',
      jobImage: JOB_IMAGES.curl.tag,
      executor: 'kubernetes' as const,
      hostAliases: false,
      extraScript: [...SHOW, PING_CURL],
      expected: ['Kubernetes executor', 'DOCKER_HOST=tcp://127.0.0.1:2375'],
      server: 'https://127.0.0.1:8443',
    },
    {
      name: 'Kubernetes executor with host aliases: the alias maps to 127.0.0.1 and is used',
      jobImage: JOB_IMAGES.curl.tag,
      executor: 'kubernetes' as const,
      hostAliases: true,
      extraScript: [...SHOW, PING_CURL],
      expected: [
        'node service "kind" reached at kind (127.0.0.1; Kubernetes executor',
        'DOCKER_HOST=tcp://kind:2375',
      ],
      server: 'https://kind:8443',
    },
  ])('$name', async ({ jobImage, executor, hostAliases, extraScript, expected, server }) => {
    const r = await runJob({
      job: template(),
      jobImage,
      executor,
      ...(hostAliases ? { hostAliases } : {}),
      serviceImage: fakeNodeImage('ready'),
      extraScript,
    });
    expect(r.code, r.output).toBe(0);
    for (const text of expected) expect(r.output).toContain(text);
    expect(r.output).toContain(`    server: ${server}\n`);
    expect(r.output).toContain('ping OK');
  });

  test('busybox userland: never ready still fails with the timeout and /status', async () => {
    const r = await runJob({
      job: template(),
      jobImage: JOB_IMAGES.busybox.tag,
      executor: 'docker',
      serviceImage: fakeNodeImage('never'),
      jobVariables: { KIND_TIMEOUT: '3s' },
      deadlineMs: 60_000,
    });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/timed out after 3s waiting for \/kubernetes-ready on the node service "kind"/);
    expect(r.output).toMatch(
      /the node's \/status: \{.*"kubernetes":\{"ok":false,"reason":"coredns: 0 ready pods"\}/,
    );
  });

  test.each([
    { tool: 'curl', jobImage: JOB_IMAGES.curl.tag, timeout: '4s' },
    { tool: 'wget only', jobImage: JOB_IMAGES.wget.tag, timeout: '3s' },
  ])(
    'a service that never gets ready ($tool): the job fails with the reason and /status, no hang',
    async ({ jobImage, timeout }) => {
      const r = await runJob({
        job: template(),
        jobImage,
        executor: 'docker',
        serviceImage: fakeNodeImage('never'),
        jobVariables: { KIND_TIMEOUT: timeout },
        extraScript: ['echo "must not run"'],
        deadlineMs: 60_000,
      });
      expect(r.code).toBe(1);
      expect(r.output).toMatch(
        new RegExp(
          `timed out after ${timeout} waiting for /kubernetes-ready on the node service "kind" .*HTTP 503: coredns: 0 ready pods`,
        ),
      );
      expect(r.output).toMatch(
        /the node's \/status: \{.*"kubernetes":\{"ok":false,"reason":"coredns: 0 ready pods"\}/,
      );
      expect(r.output).toContain(`did not become ready in ${timeout} (KIND_TIMEOUT)`);
      expect(r.output).not.toContain('must not run');
    },
  );

  test('a wrong alias: the error names the alias it tried', async () => {
    const r = await runJob({
      job: template(),
      jobImage: JOB_IMAGES.curl.tag,
      executor: 'docker',
      serviceImage: fakeNodeImage('ready'),
      jobVariables: { KIND_ALIAS: 'kube' },
      deadlineMs: 60_000,
    });
    expect(r.code).toBe(1);
    expect(r.output).toContain('the alias "kube" does not resolve and nothing answers on 127.0.0.1:10080');
    expect(r.output).toContain('(tried "kube")');
  });

  test('a timeout that is not a duration names KIND_TIMEOUT', async () => {
    const r = await runJob({
      job: template(),
      jobImage: JOB_IMAGES.curl.tag,
      executor: 'docker',
      serviceImage: fakeNodeImage('ready'),
      jobVariables: { KIND_TIMEOUT: 'soon' },
    });
    expect(r.code).toBe(1);
    expect(r.output).toContain('KIND_TIMEOUT="soon" is not a duration');
  });

  test('the component with another alias: service, kubeconfig and DOCKER_HOST follow it', async () => {
    const job = resolveJob(
      loadComponent('gitlab/templates/kind.yml', { alias: 'k8s-api', timeout: '60s' }),
      '.kind-sh',
    );
    const r = await runJob({
      job,
      jobImage: JOB_IMAGES.curl.tag,
      executor: 'docker',
      serviceImage: fakeNodeImage('ready'),
      extraScript: [...SHOW, PING_CURL],
    });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('node service "k8s-api" reached at k8s-api');
    expect(r.output).toContain('DOCKER_HOST=tcp://k8s-api:2375');
    expect(r.output).toMatch(/^ {4}server: https:\/\/k8s-api:8443$/m);
  });
});

describe(`GitLab template against the real node (${REAL_NODE})`, () => {
  beforeAll(() => {
    if (!existsSync(KUBECTL)) throw new Error(`kubectl not found at ${KUBECTL}`);
  });

  test("the example pipeline's own-image job: Docker executor, kubectl get nodes with TLS verification", async () => {
    const job = resolveJob(loadPipeline('gitlab/example.gitlab-ci.yml'), 'own-image');
    const r = await runJob({
      job,
      jobImage: JOB_IMAGES.curl.tag,
      executor: 'docker',
      serviceImage: REAL_NODE,
      binds: [kubectlBind],
      extraScript: [
        'grep -c insecure-skip-tls-verify "$KUBECONFIG" || true',
        'kubectl get --raw /readyz',
        PING_CURL,
      ],
      deadlineMs: 240_000,
    });
    expect(r.code, `${r.output}\n--- service ---\n${r.serviceLogs.slice(-3000)}`).toBe(0);
    expect(r.output).toMatch(/\n\S+\s+Ready\s+control-plane/);
    expect(r.output).toMatch(/^0$/m);
    expect(r.output).toContain('ping OK');
  }, 300_000);

  test('the component with another alias: the API certificate is valid for it', async () => {
    const job = resolveJob(loadComponent('gitlab/templates/kind.yml', { alias: 'k8s-api' }), '.kind-sh');
    const r = await runJob({
      job,
      jobImage: JOB_IMAGES.curl.tag,
      executor: 'docker',
      serviceImage: REAL_NODE,
      binds: [kubectlBind],
      extraScript: [
        'kubectl get nodes',
        'kubectl config view -o jsonpath="{.clusters[0].cluster.server}"; echo',
      ],
      deadlineMs: 240_000,
    });
    expect(r.code, `${r.output}\n--- service ---\n${r.serviceLogs.slice(-3000)}`).toBe(0);
    expect(r.output).toContain('https://k8s-api:8443');
    expect(r.output).toMatch(/\s+Ready\s+/);
  }, 300_000);

  test('TLS verification is real: without the alias in the certificate kubectl refuses', async () => {
    const job = resolveJob(loadComponent('gitlab/templates/kind.yml', { alias: 'k8s-api' }), '.kind-sh');
    const [service] = job.services;
    if (!service) throw new Error('no service');
    const { KIND_EXTRA_SANS: _, ...withoutSans } = service.variables;
    const r = await runJob({
      job: { ...job, services: [{ ...service, variables: withoutSans }] },
      jobImage: JOB_IMAGES.curl.tag,
      executor: 'docker',
      serviceImage: REAL_NODE,
      binds: [kubectlBind],
      extraScript: ['kubectl get nodes'],
      deadlineMs: 240_000,
    });
    expect(r.code).not.toBe(0);
    expect(r.output).toMatch(/x509: certificate is valid for .*not k8s-api/);
  }, 300_000);

  test('Kubernetes executor layout: localhost, TLS verification on', async () => {
    const r = await runJob({
      job: template(),
      jobImage: JOB_IMAGES.wget.tag,
      executor: 'kubernetes',
      serviceImage: REAL_NODE,
      binds: [kubectlBind],
      extraScript: ['kubectl get nodes'],
      deadlineMs: 240_000,
    });
    expect(r.code, `${r.output}\n--- service ---\n${r.serviceLogs.slice(-3000)}`).toBe(0);
    expect(r.output).toContain('Kubernetes executor');
    expect(r.output).toMatch(/\s+Ready\s+/);
  }, 300_000);
});

describe("the job image (the default of .kind): kind-action wait, then kubectl of the node's version", () => {
  /** The node's version, as the node image says (the job must end up with this kubectl). */
  const NODE_VERSION = REAL_NODE.replace(/^.*:v/, '');
  /** Start with the link at another version, so the wait must move it. */
  const otherVersion = (): string =>
    KUBERNETES_RELEASES.find((r) => r.version !== NODE_VERSION)?.version ?? '';

  test.each(KUBERNETES_RELEASES.map((r) => r.version))(
    "kubectl %s: upstream's kubectl of that version, not the node's multi-call binary",
    async (version) => {
      const kubectl = `/opt/kind-action/kubectl/${kubectlEntry(version)}`;
      const script = [
        `k=${kubectl}`,
        '"$k" version --client -o json',
        'echo "size $(stat -c %s "$k")"',
        'echo "kubectl code $(grep -c k8s.io/kubectl/pkg/cmd/apply "$k")"',
        'echo "api server code $(grep -c k8s.io/kubernetes/cmd/kube-apiserver/app "$k")"',
        // The multi-call binary started under this name would be the API server.
        'ln -s "$k" /tmp/kube-apiserver',
        '/tmp/kube-apiserver --version; echo "as kube-apiserver: exit $?"',
      ].join('\n');
      const r = await exec('docker', ['run', '--rm', '--entrypoint', 'sh', kindJobImage, '-c', script]);
      const out = `${r.stdout}\n${r.stderr}`;
      expect(r.code, out).toBe(0);
      expect(r.stdout).toContain(`"gitVersion": "v${version}"`);
      expect(r.stdout).toContain(`"platform": "linux/${nodeArch()}"`);
      expect(Number(/^kubectl code (\d+)$/m.exec(r.stdout)?.[1])).toBeGreaterThan(0);
      expect(r.stdout).toMatch(/^api server code 0$/m);
      expect(out).toMatch(/unknown flag: --version/);
      expect(r.stdout).toMatch(/^as kube-apiserver: exit [1-9]\d*$/m);
      // Smaller than the node's multi-call binary (its default version's, which the node tests use).
      const size = Number(/^size (\d+)$/m.exec(r.stdout)?.[1]);
      expect(size).toBeGreaterThan(0);
      expect(size).toBeLessThan(statSync(join(inject('kubeBin'), 'kube-node')).size);
    },
  );

  test("Docker executor, the real node: ready, kubectl of the node's version, docker on the node", async () => {
    const job = withJobImage();
    expect(job.image).toMatch(/\/kind-action-job:v/);
    const before = `ln -sfn ../v${otherVersion()}/kubectl /opt/kind-action/kubectl/bin/kubectl && kubectl version --client -o json | grep gitVersion`;
    const r = await runJob({
      job: { ...job, beforeScript: [before, ...job.beforeScript] },
      jobImage: kindJobImage,
      executor: 'docker',
      serviceImage: REAL_NODE,
      extraScript: [
        'readlink /opt/kind-action/kubectl/bin/kubectl',
        'kubectl version -o json | grep gitVersion',
        'kubectl get nodes',
        'echo "mode $(stat -c %a "$KUBECONFIG")"',
        'kubectl config view -o jsonpath="{.clusters[0].cluster.server}"; echo',
        'echo "docker $(docker version --format {{.Server.Version}})"',
      ],
      deadlineMs: 240_000,
    });
    const out = `${r.output}\n--- service ---\n${r.serviceLogs.slice(-3000)}`;
    expect(r.code, out).toBe(0);
    // Before the wait: the other version's kubectl.
    expect(r.output).toContain(`"gitVersion": "v${otherVersion()}"`);
    expect(r.output).toContain(`kubectl ${NODE_VERSION} for Kubernetes ${NODE_VERSION}`);
    expect(r.output).toContain(`../v${NODE_VERSION}/kubectl`);
    // After it: client and server of one version.
    const versions = [...r.output.matchAll(/"gitVersion": "v([0-9.]+)"/g)].map((m) => m[1]);
    expect(versions.slice(-2)).toEqual([NODE_VERSION, NODE_VERSION]);
    expect(r.output).toMatch(/\n\S+\s+Ready\s+control-plane/);
    expect(r.output).toContain('mode 600');
    expect(r.output).toContain('https://kind:8443');
    expect(r.output).toMatch(/^docker \d+\.\d+\.\d+$/m);
  }, 300_000);

  test('Kubernetes executor with host aliases, the real node: the alias maps to 127.0.0.1, TLS verified', async () => {
    const r = await runJob({
      job: withJobImage(),
      jobImage: kindJobImage,
      executor: 'kubernetes',
      hostAliases: true,
      serviceImage: REAL_NODE,
      extraScript: ['kubectl get nodes'],
      deadlineMs: 240_000,
    });
    expect(r.code, `${r.output}\n--- service ---\n${r.serviceLogs.slice(-3000)}`).toBe(0);
    expect(r.output).toMatch(/\s+Ready\s+/);
  }, 300_000);

  test('a service that never gets ready: the job fails with the failing check, no hang', async () => {
    const r = await runJob({
      job: withJobImage(),
      jobImage: kindJobImage,
      executor: 'docker',
      serviceImage: fakeNodeImage('never'),
      jobVariables: { KIND_TIMEOUT: '3s' },
      extraScript: ['echo "must not run"'],
      deadlineMs: 60_000,
    });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/timed out waiting for kubernetes-ready.*failing readiness check: coredns/);
    expect(r.output).not.toContain('must not run');
  });

  test('a timeout that is not a duration fails at once, naming the option', async () => {
    const r = await runJob({
      job: withJobImage(),
      jobImage: kindJobImage,
      executor: 'docker',
      serviceImage: fakeNodeImage('ready'),
      jobVariables: { KIND_TIMEOUT: 'soon' },
      deadlineMs: 60_000,
    });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/--timeout: "soon" is not a duration/);
  });

  test('a wrong alias: the error names the host that does not resolve, well before the timeout', async () => {
    const r = await runJob({
      job: withJobImage(),
      jobImage: kindJobImage,
      executor: 'docker',
      serviceImage: fakeNodeImage('ready'),
      jobVariables: { KIND_ALIAS: 'kube', KIND_TIMEOUT: '5s' },
      deadlineMs: 60_000,
    });
    expect(r.code).toBe(2);
    expect(r.output).toContain('--url: the host "kube" does not resolve (looked for 2.5s)');
  });
});
