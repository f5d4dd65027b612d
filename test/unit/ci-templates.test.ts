import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_KUBERNETES, KUBERNETES_VERSIONS, NODE_REPOSITORY } from '../../src/core/image/versions.js';
import { loadComponent, loadPipeline, resolveJob } from '../support/gitlab-config.js';

const TEMPLATE = 'gitlab/kind.gitlab-ci.yml';
const COMPONENT = 'gitlab/templates/kind.yml';

const template = parse(readFileSync(TEMPLATE, 'utf8'));

describe('GitLab template and component', () => {
  test('the component with default inputs is the template', () => {
    const component = loadComponent(COMPONENT);
    expect(component['.kind-wait']).toEqual(template['.kind-wait']);
    expect(component['.kind']).toEqual(template['.kind']);
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

  test('the example pipeline extends .kind and runs kubectl', () => {
    const job = resolveJob(loadPipeline('gitlab/example.gitlab-ci.yml'), 'kubernetes');
    expect(job.beforeScript).toEqual(template['.kind-wait'].script);
    expect(job.script.join('\n')).toContain('kubectl get nodes');
    expect(job.services[0]?.alias).toBe('kind');
  });

  test('the wait script is POSIX sh (dash parses it)', () => {
    const script = (template['.kind-wait'].script as string[]).join('\n');
    expect(() => execFileSync('dash', ['-n'], { input: script })).not.toThrow();
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
