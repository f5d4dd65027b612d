import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { COPIES, gitlabCopies, jobImageReference, staleCopies } from '../../scripts/sync-versions.js';
import {
  DEFAULT_KUBERNETES,
  JOB_PUBLISHED,
  JOB_REPOSITORY,
  KUBERNETES_RELEASES,
  KUBERNETES_VERSIONS,
  localNodeImage,
  NODE_REPOSITORY,
  resolveKubernetesVersion,
} from '../../src/core/image/versions.js';
import { jobImageTag, localJobImage } from '../../src/core/job/names.js';

const table = JSON.parse(readFileSync('versions.json', 'utf8')) as {
  defaultMinor: string;
  kubernetes: Record<string, { version: string }>;
  jobDigest: string | null;
  jobDigestTag: string | null;
};

describe('the version table (versions.json)', () => {
  test('every copy in a file that cannot read it agrees with it', () => {
    expect(staleCopies('.')).toEqual([]);
  });

  test.each(COPIES.map((c) => [c.file, c] as const))('%s: a changed copy is found stale', (file, copy) => {
    const text = readFileSync(file, 'utf8');
    const pinned = KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '';
    const tampered = text.includes(pinned) ? text.replaceAll(pinned, '9.99.9') : `${text}x`;
    expect(copy.render(tampered)).not.toBe(tampered);
  });

  test('each minor pins a patch of itself, and the default is one of them', () => {
    for (const [minor, row] of Object.entries(table.kubernetes)) {
      expect(row.version.startsWith(`${minor}.`), `${minor} -> ${row.version}`).toBe(true);
    }
    expect(Object.keys(table.kubernetes)).toContain(table.defaultMinor);
  });

  test('the CLI and the Action resolve every minor and patch of the table, and nothing else', () => {
    for (const [minor, row] of Object.entries(table.kubernetes)) {
      expect(resolveKubernetesVersion(minor)).toBe(row.version);
      expect(resolveKubernetesVersion(`v${row.version}`)).toBe(row.version);
    }
    expect(resolveKubernetesVersion(undefined)).toBe(table.kubernetes[table.defaultMinor]?.version);
    expect(() => resolveKubernetesVersion('1.34')).toThrow(/not supported/);
    expect(KUBERNETES_RELEASES.map((r) => r.minor)).toEqual(
      Object.keys(table.kubernetes).sort((a, b) => Number(b.split('.')[1]) - Number(a.split('.')[1])),
    );
  });

  test.each(['.ci/run', 'image/kube/build-source.sh', 'image/context.sh'])(
    '%s writes no Kubernetes version of its own',
    (file) => {
      const text = readFileSync(file, 'utf8');
      for (const { version } of Object.values(table.kubernetes)) expect(text).not.toContain(version);
      expect(text).not.toMatch(/\b1\.3\d\.\d+\b/);
    },
  );
});

/**
 * Every name a file gives a node image repository: REGISTRY/…/kind-action-node,
 * or …/kind-action/node (the local bake's name, with or without a registry).
 */
const NODE_REPOSITORY_NAME =
  /(?:[A-Za-z0-9.<>-]+(?::\d+)?\/)*(?:kind-action\/node|[A-Za-z0-9.<>-]*\/kind-action-node)(?![\w-])/g;

/** Every file of the product that could name one: all tracked files but tests and bundles. */
function productFiles(): string[] {
  return execFileSync('git', ['ls-files'], { encoding: 'utf8' })
    .split('\n')
    .filter((f) => f && !/^(test|dist)\//.test(f) && f !== 'package-lock.json')
    .filter((f) => !readFileSync(f).includes(0));
}

describe('one node image repository', () => {
  const localBake = localNodeImage('0').replace(/:.*$/, '');
  const allowed = (name: string): boolean =>
    name === NODE_REPOSITORY || name === localBake || /^[\w.-]+\.example\.(?:com|org)\//.test(name);

  test('no file names another than the table repository, the local bake or an example.com mirror', () => {
    const files = productFiles();
    expect(files).toEqual(
      expect.arrayContaining(['action.yml', 'circleci/kind.sh', 'gitlab/kind.gitlab-ci.yml']),
    );
    const others = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(NODE_REPOSITORY_NAME)]
        .map((m) => m[0])
        .filter((name) => !allowed(name))
        .map((name) => `${file}: ${name}`),
    );
    expect(others).toEqual([]);
  });

  test.each([
    ['the old published name', 'ghcr.io/kind-action/node:v1', false],
    ['another owner', 'ghcr.io/someone/kind-action-node', false],
    ['a mirror on a real host', 'registry.acme.io/ci/kind-action-node', false],
    ['the table repository', `${NODE_REPOSITORY}:v1`, true],
  ])('the check finds %s', (_, text, ok) => {
    const names = [...text.matchAll(NODE_REPOSITORY_NAME)].map((m) => m[0]);
    expect(names).toHaveLength(1);
    expect(names.every(allowed)).toBe(ok);
  });
});

/** Every name a file gives a job image repository: REGISTRY/…/kind-action-job, or …/kind-action/job (the local build's). */
const JOB_REPOSITORY_NAME =
  /(?:[A-Za-z0-9.<>-]+(?::\d+)?\/)*(?:kind-action\/job|[A-Za-z0-9.<>-]*\/kind-action-job)(?![\w-])/g;

describe('one job image repository, beside the node repository', () => {
  const localBuild = localJobImage().replace(/:.*$/, '');
  const allowed = (name: string): boolean =>
    name === JOB_REPOSITORY || name === localBuild || /^[\w.-]+\.example\.(?:com|org)\//.test(name);

  test("the table names it in the node repository's registry and namespace", () => {
    expect(JOB_REPOSITORY.slice(0, JOB_REPOSITORY.lastIndexOf('/'))).toBe(
      NODE_REPOSITORY.slice(0, NODE_REPOSITORY.lastIndexOf('/')),
    );
    expect(JOB_REPOSITORY).toMatch(/\/kind-action-job$/);
  });

  test('no file names another than the table repository, the local build or an example.com mirror', () => {
    const files = productFiles();
    const named = files.filter((file) => readFileSync(file, 'utf8').match(JOB_REPOSITORY_NAME));
    expect(named).toEqual(expect.arrayContaining(['gitlab/kind.gitlab-ci.yml', 'gitlab/templates/kind.yml']));
    const others = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(JOB_REPOSITORY_NAME)]
        .map((m) => m[0])
        .filter((name) => !allowed(name))
        .map((name) => `${file}: ${name}`),
    );
    expect(others).toEqual([]);
  });

  test.each([
    ['another owner', 'ghcr.io/someone/kind-action-job:v1', false],
    ['a mirror on a real host', 'registry.acme.io/ci/kind-action-job', false],
    ['the table repository', `${JOB_REPOSITORY}:v1`, true],
  ])('the check finds %s', (_, text, ok) => {
    const names = [...text.matchAll(JOB_REPOSITORY_NAME)].map((m) => m[0]);
    expect(names).toHaveLength(1);
    expect(names.every(allowed)).toBe(ok);
  });
});

describe('the GitLab files name the job image by its digest once published', () => {
  const tag = jobImageTag();
  const digest = `sha256:${'ab'.repeat(32)}`;
  /** The job image each GitLab file names, read as GitLab reads it. */
  const named = (file: string, text: string): unknown => {
    if (!file.endsWith('templates/kind.yml'))
      return (parse(text) as Record<string, { image?: string }>)['.kind']?.image;
    const spec = parseAllDocuments(text)[0]?.toJS() as
      | { spec?: { inputs?: Record<string, { default?: string }> } }
      | undefined;
    return spec?.spec?.inputs?.['job-image']?.default;
  };

  test('the table records a digest with the tag it was published under, or neither', () => {
    expect(table.jobDigest === null).toBe(table.jobDigestTag === null);
    if (table.jobDigest !== null) {
      expect(table.jobDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(table.jobDigestTag).toMatch(/^v\d+\.\d+\.\d+$/);
      expect(JOB_PUBLISHED).toEqual({ tag: table.jobDigestTag, digest: table.jobDigest });
    } else expect(JOB_PUBLISHED).toBeUndefined();
  });

  test.each([
    ["the table's own", JOB_PUBLISHED, JOB_PUBLISHED?.tag === tag ? JOB_PUBLISHED.digest : undefined],
    ['not published (null in the table)', undefined, undefined],
    ["published under this CLI's tag", { tag, digest }, digest],
    ["published under an earlier CLI's tag: not this image", { tag: 'v0.0.0', digest }, undefined],
  ])('%s', (_, published, pinned) => {
    const ref = jobImageReference(published);
    expect(ref).toBe(`${JOB_REPOSITORY}:${tag}${pinned ? `@${pinned}` : ''}`);
    const copies = gitlabCopies(ref);
    expect(copies.map((c) => c.file).sort()).toEqual([
      'gitlab/kind.gitlab-ci.yml',
      'gitlab/templates/kind.yml',
    ]);
    for (const copy of copies) {
      const text = copy.render(readFileSync(copy.file, 'utf8'));
      expect(named(copy.file, text), copy.file).toBe(ref);
      // Written again, unchanged; and back to the table's reference from the pinned form.
      expect(copy.render(text)).toBe(text);
      const current = COPIES.find((c) => c.file === copy.file);
      expect(current?.render(text)).toBe(readFileSync(copy.file, 'utf8'));
    }
  });

  test("the committed GitLab files name the table's reference", () => {
    for (const copy of gitlabCopies(jobImageReference(JOB_PUBLISHED)))
      expect(named(copy.file, readFileSync(copy.file, 'utf8'))).toBe(jobImageReference(JOB_PUBLISHED));
  });
});
