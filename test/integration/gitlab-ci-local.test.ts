import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { DEFAULT_NODE_IMAGE, jobImageReference } from '../../scripts/sync-versions.js';
import { nodeCreateOptions } from '../../src/core/cluster/create-options.js';
import {
  JOB_PUBLISHED,
  JOB_REPOSITORY,
  NODE_REPOSITORY,
  publishedTag,
} from '../../src/core/image/versions.js';
import { jobImageTag, localJobImage } from '../../src/core/job/names.js';
import { cli, isolatedEnv } from '../support/cli.js';
import { exec, execOk } from '../support/exec.js';
import {
  buildWaitImage,
  ensureGitlabCiLocal,
  fallbackFlags,
  type GitlabCiLocal,
  gitProject,
  runPipeline,
  writeFallbackExecutable,
} from '../support/gitlab-ci-local.js';
import { loadPipeline, resolveJob } from '../support/gitlab-config.js';
import { buildJobImages, JOB_IMAGES } from '../support/job-image.js';
import { ensureKindJobImage } from '../support/kind-job-image.js';
import { type RunningRegistry, startRegistry } from '../support/registry.js';

/**
 * gitlab/kind.gitlab-ci.yml, included by a sample .gitlab-ci.yml, run by gitlab-ci-local (a
 * GitLab CI emulator: Docker-executor semantics, services on a per-job network): the node is the
 * template's own `services:` entry, and the job ends in `kubectl get nodes` from its container.
 * `.kind-sh` (an image of the user's own, the POSIX sh wait) runs with the published node's name
 * held by the locally baked node; `.kind` (the job image, kind-action wait) runs with both images
 * pulled from a registry on localhost, where `kind-action publish` put them.
 */
const KUBECTL = join(inject('kubeBin'), 'kubectl');
/** The node image the project's setup baked. */
const REAL_NODE = inject('nodeImage');
const SERVICE_IMAGE = resolveJob(loadPipeline('gitlab/kind.gitlab-ci.yml'), '.kind').services[0]?.name ?? '';
const BASE = 'debian:trixie-slim';
/** The node's Kubernetes version (the baked node's tag). */
const VERSION = REAL_NODE.replace(/^.*:v/, '');

const scratch = mkdtempSync(join(tmpdir(), 'ka-gitlab-ci-local-'));
const project = join(scratch, 'project');
let tool: GitlabCiLocal;
let waitImage = '';
/** Whether this file tagged the baked node as the template's service image (removed after). */
let tagged = false;

beforeAll(async () => {
  // The template names the published image (versions.json's repository), which cannot be pulled
  // here: the baked node stands in for it under that name, as a pull would leave it.
  expect(SERVICE_IMAGE).toMatch(/^ghcr\.io\/.+:v\d+\.\d+\.\d+$/);
  expect(SERVICE_IMAGE.endsWith(REAL_NODE.slice(REAL_NODE.indexOf(':')))).toBe(true);
  if ((await exec('docker', ['image', 'inspect', SERVICE_IMAGE])).code !== 0) {
    await execOk('docker', ['tag', REAL_NODE, SERVICE_IMAGE]);
    tagged = true;
  }
  await buildJobImages();
  waitImage = await buildWaitImage();
  tool = await ensureGitlabCiLocal();
  await gitProject(project, {
    'kind.gitlab-ci.yml': readFileSync('gitlab/kind.gitlab-ci.yml', 'utf8'),
    '.gitlab-ci.yml': [
      'include:',
      '  - local: /kind.gitlab-ci.yml',
      'kubernetes:',
      '  extends: .kind-sh',
      `  image: ${JOB_IMAGES.curl.tag}`,
      '  script:',
      '    - kubectl get nodes -o wide',
      '    - kubectl get nodes --no-headers | grep -q " Ready "',
      '',
    ].join('\n'),
  });
}, 600_000);

afterAll(async () => {
  rmSync(scratch, { recursive: true, force: true });
  if (tagged) await execOk('docker', ['rmi', SERVICE_IMAGE]);
});

/** Everything gitlab-ci-local names gcl-… or gitlab-ci-local-… on the daemon. */
async function gclLeftovers(): Promise<string[]> {
  const list = async (...args: string[]) => (await execOk('docker', args)).split('\n').filter(Boolean);
  return [
    ...(await list('ps', '-a', '--filter', 'name=gcl-', '--format', '{{.Names}}')),
    ...(await list('volume', 'ls', '-q', '--filter', 'name=gcl-')),
    ...(await list('network', 'ls', '--filter', 'name=gitlab-ci-local', '--format', '{{.Name}}')),
  ];
}

/** Whether this daemon starts a --privileged container, and its error when it does not. */
async function privileged(): Promise<{ ok: boolean; error: string }> {
  const r = await exec('docker', ['run', '--rm', '--privileged', '--entrypoint', 'true', BASE]);
  return { ok: r.code === 0, error: r.stderr };
}

/** gitlab-ci-local's options; `kubectl`: mount the module-built kubectl (the image has none). */
const options = (kubectl = true): string[] => [
  '--privileged',
  '--pull-policy',
  'if-not-present',
  // Its helper (chown of the build volume) and service health check images, local.
  '--helper-image',
  BASE,
  '--wait-image',
  waitImage,
  ...(kubectl ? ['--volume', `${KUBECTL}:/usr/local/bin/kubectl:ro`] : []),
];

/** A docker executable that starts every --privileged container with the capability fallback. */
function fallbackExecutable(image: string): string {
  const fallback = nodeCreateOptions({
    cluster: 'gitlab-ci-local',
    session: 'test',
    image,
    privilege: 'fallback',
    ports: [],
    env: {},
    cgroupVersion: '1',
  }).HostConfig;
  const executable = join(scratch, 'docker-fallback');
  writeFallbackExecutable(executable, fallbackFlags(fallback ?? {}));
  return executable;
}

describe('the GitLab template under gitlab-ci-local', () => {
  test('--privileged, as gitlab-ci-local passes it: the job reaches kubectl get nodes where the daemon grants it', async () => {
    const probe = await privileged();
    const r = await runPipeline(tool, { project, job: 'kubernetes', args: options() });
    const out = r.stdout + r.stderr;
    if (probe.ok) {
      expect(r.code, out).toBe(0);
      expect(out).toMatch(/kind-control-plane\s+Ready/);
    } else {
      // This machine: the service (the node) cannot start; gitlab-ci-local says why and fails.
      expect(probe.error).toContain('unable to apply caps: operation not permitted');
      expect(r.code).not.toBe(0);
      expect(out).toContain(`docker start`);
      expect(out).toContain('unable to apply caps: operation not permitted');
      expect(out).not.toContain('kind-action: Kubernetes ready');
    }
    expect(await gclLeftovers()).toEqual([]);
  }, 600_000);

  test("the capability fallback, through gitlab-ci-local's --container-executable: kubectl get nodes from the job container", async () => {
    // The product's own fallback options (what `kind-action up` uses when --privileged is refused).
    const executable = fallbackExecutable(SERVICE_IMAGE);
    const r = await runPipeline(tool, {
      project,
      job: 'kubernetes',
      args: [...options(), '--container-executable', executable],
    });
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain(`started service image: ${SERVICE_IMAGE} with aliases: kind`);
    expect(out).toMatch(/node service "kind" reached at kind \(\d+\.\d+\.\d+\.\d+; Docker executor/);
    expect(out).toContain('KUBECONFIG=/tmp/kind-action/kubeconfig, server https://kind:8443');
    expect(out).toContain('$ kubectl get nodes -o wide');
    expect(out).toMatch(/kind-control-plane\s+Ready\s+control-plane/);
    expect(out).toContain('PASS  kubernetes');
    expect(await gclLeftovers()).toEqual([]);
  }, 600_000);
});

describe('the GitLab template with the job image and the node from a registry (publish, then pull)', () => {
  let registry: RunningRegistry | undefined;
  let nodeRef = '';
  let jobRef = '';
  /** The references the template names, so the job pulls (with the pushed digest where it pins one). */
  let pulled: string[] = [];
  const jobProject = join(scratch, 'job-image-project');

  beforeAll(async () => {
    const jobImage = await ensureKindJobImage();
    registry = await startRegistry({ publish: true });
    const host = `127.0.0.1:${registry.hostPort}`;
    const env = { ...process.env, ...isolatedEnv() };
    const node = await cli(
      ['publish', '--repository', `${host}/kind-action-node`, '--k8s-version', VERSION],
      env,
    );
    expect(node.code, node.stderr).toBe(0);
    const job = await cli(['publish', '--job', '--repository', `${host}/kind-action-job`], env);
    expect(job.code, job.stderr).toBe(0);
    nodeRef = `${host}/kind-action-node:${publishedTag(VERSION)}`;
    jobRef = `${host}/kind-action-job:${jobImageTag()}`;
    expect(node.stdout.trim()).toMatch(new RegExp(`^${nodeRef.replaceAll('.', '\\.')}@sha256:[0-9a-f]{64}$`));
    expect(job.stdout.trim()).toMatch(new RegExp(`^${jobRef.replaceAll('.', '\\.')}@sha256:[0-9a-f]{64}$`));
    // publish leaves the daemon as it was: the job must pull both.
    for (const ref of [nodeRef, jobRef])
      expect((await exec('docker', ['image', 'inspect', ref])).code).not.toBe(0);
    expect(jobImage).toBe(localJobImage());
    // The template as a user of a mirror has it: both repositories renamed, nothing else. A mirror
    // copied with its index keeps the digest the template pins: here, the one just pushed.
    const pushed = (out: string): string => out.trim().slice(out.trim().lastIndexOf('@') + 1);
    let text = readFileSync('gitlab/kind.gitlab-ci.yml', 'utf8')
      .replaceAll(NODE_REPOSITORY, `${host}/kind-action-node`)
      .replaceAll(JOB_REPOSITORY, `${host}/kind-action-job`);
    for (const [ref, out] of [
      [nodeRef, node.stdout],
      [jobRef, job.stdout],
    ] as const)
      text = text.replace(
        new RegExp(`(${ref.replaceAll('.', '\\.')}@)sha256:[0-9a-f]{64}`),
        `$1${pushed(out)}`,
      );
    /** The pushed digest where the template pins the published one, nothing where it names the tag. */
    const pin = (published: string, out: string): string =>
      published.includes('@') ? `@${pushed(out)}` : '';
    pulled = [
      `${nodeRef}${pin(DEFAULT_NODE_IMAGE, node.stdout)}`,
      `${jobRef}${pin(jobImageReference(JOB_PUBLISHED), job.stdout)}`,
    ];
    expect(text).toContain(`image: ${pulled[1]}\n`);
    expect(text).toContain(`- name: ${pulled[0]}\n`);
    await gitProject(jobProject, {
      'kind.gitlab-ci.yml': text,
      '.gitlab-ci.yml': [
        'include:',
        '  - local: /kind.gitlab-ci.yml',
        'kubernetes:',
        '  extends: .kind',
        '  script:',
        '    - kubectl version -o json | grep gitVersion',
        '    - kubectl get nodes -o wide',
        '    - docker version --format "docker {{.Server.Version}}"',
        '',
      ].join('\n'),
    });
  }, 1_800_000);

  afterAll(async () => {
    for (const ref of new Set([nodeRef, jobRef, ...pulled])) if (ref) await exec('docker', ['rmi', ref]);
    await registry?.stop();
  });

  test("kind-action wait in the pulled job image, then kubectl of the node's version and kubectl get nodes", async () => {
    const r = await runPipeline(tool, {
      project: jobProject,
      job: 'kubernetes',
      args: [...options(false), '--container-executable', fallbackExecutable(nodeRef)],
    });
    const out = r.stdout + r.stderr;
    expect(r.code, out).toBe(0);
    expect(out).toContain(`started service image: ${pulled[0]} with aliases: kind`);
    expect(out).toContain('$ kind-action wait --url "http://$KIND_ALIAS:10080"');
    expect(out).toContain(`kubectl ${VERSION} for Kubernetes ${VERSION}`);
    const versions = [...out.matchAll(/"gitVersion": "v([0-9.]+)"/g)].map((m) => m[1]);
    expect(versions).toEqual([VERSION, VERSION]);
    expect(out).toMatch(/kind-control-plane\s+Ready\s+control-plane/);
    expect(out).toMatch(/docker \d+\.\d+\.\d+/);
    expect(out).toContain('PASS  kubernetes');
    // Both came from the registry.
    for (const ref of pulled) expect((await exec('docker', ['image', 'inspect', ref])).code).toBe(0);
    expect(await gclLeftovers()).toEqual([]);
  }, 900_000);
});
