import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { renderCopy, SH_COPIES, SH_SOURCE, shBody, staleShCopies } from '../../scripts/sync-gitlab.js';
import { jobImageReference } from '../../scripts/sync-versions.js';
import { buildProgram } from '../../src/cli/program.js';
import {
  DEFAULT_KUBERNETES,
  JOB_PUBLISHED,
  KUBERNETES_VERSIONS,
  NODE_REPOSITORY,
} from '../../src/core/image/versions.js';
import { loadComponent, loadPipeline, resolveJob } from '../support/gitlab-config.js';

const TEMPLATE = 'gitlab/kind.gitlab-ci.yml';
const COMPONENT = 'gitlab/templates/kind.yml';

const template = parse(readFileSync(TEMPLATE, 'utf8'));

describe('GitLab template and component', () => {
  test('the component with default inputs is the template', () => {
    const component = loadComponent(COMPONENT);
    for (const job of ['.kind-wait', '.kind', '.kind-sh']) expect(component[job]).toEqual(template[job]);
  });

  test('.kind runs in the job image and waits with kind-action wait on the alias', () => {
    const job = resolveJob(loadPipeline(TEMPLATE), '.kind');
    expect(job.image).toBe(jobImageReference(JOB_PUBLISHED));
    expect(job.beforeScript).toEqual([
      'kind-action wait --url "http://$KIND_ALIAS:10080" --api-server "https://$KIND_ALIAS:8443" --kubeconfig "$KUBECONFIG" --timeout "$KIND_TIMEOUT"',
    ]);
    expect(job.variables).toMatchObject({ KIND_ALIAS: 'kind', DOCKER_HOST: 'tcp://kind:2375' });
  });

  test("every flag the before_script gives is one of the CLI's wait options", () => {
    const wait = buildProgram(() => {
      throw new Error('not run');
    }).commands.find((c) => c.name() === 'wait');
    const known = new Set(wait?.options.map((o) => o.long));
    const job = resolveJob(loadPipeline(TEMPLATE), '.kind');
    const flags = job.beforeScript.join(' ').match(/--[a-z-]+/g) ?? [];
    expect(flags.length).toBeGreaterThan(3);
    for (const flag of flags) expect(known, flag).toContain(flag);
  });

  test('.kind-sh is .kind with the POSIX sh wait, for a job image of your own', () => {
    const config = loadPipeline(TEMPLATE);
    const sh = resolveJob(config, '.kind-sh');
    const kind = resolveJob(config, '.kind');
    expect(sh.beforeScript).toEqual(template['.kind-wait'].script);
    expect({ ...sh, beforeScript: [] }).toEqual({ ...kind, beforeScript: [] });
  });

  test('the component takes another job image', () => {
    const job = resolveJob(
      loadComponent(COMPONENT, { 'job-image': 'registry.example.com/ci/job:v1' }),
      '.kind',
    );
    expect(job.image).toBe('registry.example.com/ci/job:v1');
  });

  test('the alias is used consistently: service, certificate names, script, DOCKER_HOST', () => {
    const job = resolveJob(loadComponent(COMPONENT, { alias: 'k8s-api', timeout: '90s' }), '.kind');
    expect(job.services).toEqual([
      expect.objectContaining({
        name: `${NODE_REPOSITORY}:v${KUBERNETES_VERSIONS[DEFAULT_KUBERNETES]}`,
        alias: 'k8s-api',
        variables: expect.objectContaining({ KIND_EXTRA_SANS: 'k8s-api', HEALTHCHECK_TCP_PORT: '10080' }),
      }),
    ]);
    expect(job.variables).toMatchObject({
      KIND_ALIAS: 'k8s-api',
      KIND_TIMEOUT: '90s',
      DOCKER_HOST: 'tcp://k8s-api:2375',
    });
  });

  test.each([
    ['alias', 'Not_A_Host', /input "alias" = "Not_A_Host" does not match/],
    ['timeout', 'soon', /input "timeout" = "soon" does not match/],
    ['k8s-version', '1.35', /input "k8s-version" = "1.35" does not match/],
  ])('component input %s rejects %s', (name, value, message) => {
    expect(() => loadComponent(COMPONENT, { [name]: value })).toThrow(message);
  });

  test('the example pipeline: the job image with .kind, an image of its own with .kind-sh', () => {
    const example = loadPipeline('gitlab/example.gitlab-ci.yml');
    const job = resolveJob(example, 'kubernetes');
    expect(job.image).toBe(jobImageReference(JOB_PUBLISHED));
    expect(job.beforeScript).toEqual(template['.kind'].before_script);
    expect(job.script.join('\n')).toContain('kubectl get nodes');
    expect(job.services[0]?.alias).toBe('kind');
    const own = resolveJob(example, 'own-image');
    expect(own.image).toBe('registry.example.com/tools/kubectl-curl');
    expect(own.beforeScript).toEqual(template['.kind-wait'].script);
  });

  test('the wait script is POSIX sh (dash parses its source and each copy)', () => {
    expect(() => execFileSync('dash', ['-n', SH_SOURCE])).not.toThrow();
    const script = (template['.kind-wait'].script as string[]).join('\n');
    expect(() => execFileSync('dash', ['-n'], { input: script })).not.toThrow();
  });
});

describe(`the POSIX sh wait: one source (${SH_SOURCE}), generated copies`, () => {
  const source = readFileSync(SH_SOURCE, 'utf8');

  test('each copy is what the source makes (npm run sync-gitlab)', () => {
    expect(staleShCopies('.')).toEqual([]);
  });

  test.each(SH_COPIES.map((f) => [f]))('%s holds the body once, as .kind-wait, and no other sh', (file) => {
    const text = readFileSync(file, 'utf8');
    const doc = file === COMPONENT ? loadComponent(file) : parse(text);
    expect(`${doc['.kind-wait'].script[0]}`).toBe(shBody(source));
    // Its first line appears once in the file: no hand-written second copy.
    const first = shBody(source).split('\n')[0] ?? '';
    expect(text.split(first).length - 1).toBe(1);
  });

  test.each(SH_COPIES.map((f) => [f]))('%s: a changed copy or a changed source is found stale', (file) => {
    const text = readFileSync(file, 'utf8');
    expect(renderCopy(text, source, file)).toBe(text);
    const edited = text.replace('kind_fail() {', 'kind_fail() { true;');
    expect(edited).not.toBe(text);
    expect(renderCopy(edited, source, file)).toBe(text);
    const newer = source.replace('kind_fail() {', 'kind_fail() { :;');
    expect(renderCopy(text, newer, file)).not.toBe(text);
  });
});

describe('CircleCI script', () => {
  test('bash parses it', () => {
    expect(() => execFileSync('bash', ['-n', 'circleci/kind.sh'])).not.toThrow();
  });

  test('its version label is the package version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    expect(readFileSync('circleci/kind.sh', 'utf8')).toContain(
      `readonly KIND_ACTION_VERSION=${pkg.version}\n`,
    );
  });
});
