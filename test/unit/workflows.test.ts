import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { exec } from '../support/exec.js';

/**
 * The repository's own workflows (.github/workflows): every third-party action
 * pinned by commit, every version read from versions.json at run time, and the
 * release's security settings where they belong.
 */
const DIR = resolve('.github/workflows');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yml'));
const table = JSON.parse(readFileSync('versions.json', 'utf8')) as {
  kubernetes: Record<string, { version: string }>;
  architectures: string[];
};

interface Step {
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  'continue-on-error'?: boolean;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}

/** A GitHub expression as written in a workflow: ${{ … }}. */
const expr = (inner: string): string => `\${{ ${inner} }}`;

const workflow = (file: string): Workflow => parse(readFileSync(join(DIR, file), 'utf8')) as Workflow;
const ci = workflow('ci.yml');
const release = workflow('release.yml');

/** `uses:` lines with their trailing comment, as written. */
const usesLines = FILES.flatMap((file) =>
  readFileSync(join(DIR, file), 'utf8')
    .split('\n')
    .filter((line) => /^\s*(-\s+)?uses:/.test(line))
    .map((line) => [file, line.trim().replace(/^-\s+/, '')] as const),
);

describe('third-party actions are pinned by commit', () => {
  test('there are workflows, and they use actions', () => {
    expect(FILES.sort()).toEqual(['ci.yml', 'release.yml']);
    expect(usesLines.length).toBeGreaterThan(10);
  });

  test.each(usesLines)('%s: %s', (_, line) => {
    const m = /^uses:\s*(\S+)\s*(#.*)?$/.exec(line);
    const ref = m?.[1] ?? '';
    if (ref.startsWith('./')) return;
    expect(ref).toMatch(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._/-]+)?@[0-9a-f]{40}$/);
    // The release the commit is, for readers and update tools.
    expect(m?.[2] ?? '').toMatch(/^# v\d+\.\d+\.\d+$/);
  });

  test('one action, one commit: no action is pinned to two commits', () => {
    const pins = new Map<string, Set<string>>();
    for (const [, line] of usesLines) {
      const [action, sha] = (line.split(/\s+/)[1] ?? '').split('@');
      if (!action || !sha || action.startsWith('./')) continue;
      pins.set(action, (pins.get(action) ?? new Set()).add(sha));
    }
    for (const [action, shas] of pins) expect([action, shas.size]).toEqual([action, 1]);
  });
});

describe('versions come from versions.json at run time', () => {
  const minors = Object.keys(table.kubernetes);
  const patches = Object.values(table.kubernetes).map((k) => k.version);

  test.each(FILES)('%s names no supported version itself', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    for (const v of [...minors, ...patches]) expect(text).not.toContain(v);
  });

  test.each<[string, Workflow, string, Record<string, string>]>([
    ['ci.yml self-test', ci, 'self-test', { k8s: 'minors' }],
    ['release.yml bake', release, 'bake', { minor: 'minors', arch: 'architectures' }],
    ['release.yml index', release, 'index', { minor: 'minors' }],
    ['release.yml job-image', release, 'job-image', { arch: 'architectures' }],
  ])('%s: the matrix is the versions job output', (_, wf, name, axes) => {
    const job = wf.jobs[name];
    expect(job?.needs).toContain('versions');
    for (const [axis, output] of Object.entries(axes))
      expect(job?.strategy?.matrix?.[axis]).toBe(expr(`fromJSON(needs.versions.outputs.${output})`));
    const versions = wf.jobs.versions;
    expect(versions?.steps.some((s) => s.run?.includes('node scripts/ci-versions.mjs outputs'))).toBe(true);
  });

  test('the self-test runs on amd64 and arm64 runners', () => {
    expect(ci.jobs['self-test']?.strategy?.matrix?.os).toEqual(['ubuntu-24.04', 'ubuntu-24.04-arm']);
  });

  test('ci-versions outputs: the table minors and architectures, as JSON', async () => {
    const r = await exec(process.execPath, ['scripts/ci-versions.mjs', 'outputs'], {
      env: { PATH: process.env.PATH },
    });
    expect(r.code, r.stderr).toBe(0);
    const out = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    expect(JSON.parse(out.minors ?? '')).toEqual(minors);
    expect(JSON.parse(out.architectures ?? '')).toEqual(table.architectures);
  });

  test.each<[string, string, RegExp]>([
    ['not REGISTRY/NAME', 'no-slash', /NODE_REPOSITORY: "no-slash" is not REGISTRY\/NAME/],
    ['upper case', 'Registry.example.com/Node', /NODE_REPOSITORY: .* is not REGISTRY\/NAME/],
  ])('ci-versions refuses a repository that is %s (exit 2)', async (_, value, message) => {
    const r = await exec(process.execPath, ['scripts/ci-versions.mjs', 'outputs', '--release'], {
      env: { PATH: process.env.PATH, NODE_REPOSITORY: value },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  test('NODE_REPOSITORY names the registry the release logs in to', async () => {
    const r = await exec(process.execPath, ['scripts/ci-versions.mjs', 'outputs', '--release'], {
      env: { PATH: process.env.PATH, NODE_REPOSITORY: '127.0.0.1:5000/mirror/kind-action-node' },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('repository=127.0.0.1:5000/mirror/kind-action-node\n');
    expect(r.stdout).toContain('registry=127.0.0.1:5000\n');
    expect(r.stdout).toContain('job-repository=127.0.0.1:5000/mirror/kind-action-job\n');
  });

  test("the job image's repository: the table's, or JOB_REPOSITORY in the same registry", async () => {
    const run = (env: Record<string, string>) =>
      exec(process.execPath, ['scripts/ci-versions.mjs', 'outputs', '--release'], {
        env: { PATH: process.env.PATH, ...env },
      });
    const table = JSON.parse(readFileSync('versions.json', 'utf8')) as { jobRepository: string };
    const own = await run({});
    expect(own.code, own.stderr).toBe(0);
    expect(own.stdout).toContain(`job-repository=${table.jobRepository}\n`);
    const mirror = await run({
      NODE_REPOSITORY: '127.0.0.1:5000/mirror/kind-action-node',
      JOB_REPOSITORY: '127.0.0.1:5000/tools/ci-job',
    });
    expect(mirror.stdout).toContain('job-repository=127.0.0.1:5000/tools/ci-job\n');
    const apart = await run({
      NODE_REPOSITORY: '127.0.0.1:5000/mirror/kind-action-node',
      JOB_REPOSITORY: 'registry.example.com/ci/kind-action-job',
    });
    expect(apart.code).toBe(2);
    expect(apart.stderr).toMatch(
      /JOB_REPOSITORY: .* is not in the node repository's registry 127\.0\.0\.1:5000/,
    );
  });
});

describe('ci-versions set-digest: the release writes the index digests back', () => {
  /** A copy of the script beside a copy of the table, so the real one is never written. */
  function copy(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ka-ci-versions-'));
    mkdirSync(join(dir, 'scripts'));
    cpSync('scripts/ci-versions.mjs', join(dir, 'scripts/ci-versions.mjs'));
    cpSync('versions.json', join(dir, 'versions.json'));
    return dir;
  }
  const [first, second] = Object.keys(table.kubernetes);
  const digest = `sha256:${'ab'.repeat(32)}`;

  test('one entry gets the digest; the rest of the file is unchanged', async () => {
    const dir = copy();
    try {
      const before = readFileSync(join(dir, 'versions.json'), 'utf8');
      const r = await exec(process.execPath, [
        join(dir, 'scripts/ci-versions.mjs'),
        'set-digest',
        `${first}`,
        digest,
      ]);
      expect(r.code, r.stderr).toBe(0);
      const after = readFileSync(join(dir, 'versions.json'), 'utf8');
      const parsed = JSON.parse(after);
      expect(parsed.kubernetes[`${first}`].digest).toBe(digest);
      expect(parsed.kubernetes[`${second}`].digest).toBe(JSON.parse(before).kubernetes[`${second}`].digest);
      // Only the one line changed.
      const changed = after.split('\n').filter((line, i) => line !== before.split('\n')[i]);
      expect(changed).toEqual([`      "digest": "${digest}"`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each<[string, string[], RegExp]>([
    [
      'a digest that is not sha256',
      [`${first}`, 'sha256:xyz'],
      /digest: "sha256:xyz" is not sha256:<64 hex>/,
    ],
    ['an unknown minor', ['1.20', digest], /minor: "1.20" is not in versions.json/],
  ])('refused: %s (exit 2, nothing written)', async (_, args, message) => {
    const dir = copy();
    try {
      const before = readFileSync(join(dir, 'versions.json'), 'utf8');
      const r = await exec(process.execPath, [join(dir, 'scripts/ci-versions.mjs'), 'set-digest', ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(readFileSync(join(dir, 'versions.json'), 'utf8')).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ci-versions set-job-digest: the release writes the job image index digest back', () => {
  function copy(): string {
    const dir = mkdtempSync(join(tmpdir(), 'ka-ci-versions-'));
    mkdirSync(join(dir, 'scripts'));
    cpSync('scripts/ci-versions.mjs', join(dir, 'scripts/ci-versions.mjs'));
    cpSync('versions.json', join(dir, 'versions.json'));
    return dir;
  }
  const digest = `sha256:${'cd'.repeat(32)}`;
  const tag = `v${JSON.parse(readFileSync('package.json', 'utf8')).version}`;

  test('the digest and its tag, and no other line', async () => {
    const dir = copy();
    try {
      const before = readFileSync(join(dir, 'versions.json'), 'utf8');
      for (const round of [1, 2]) {
        const r = await exec(process.execPath, [
          join(dir, 'scripts/ci-versions.mjs'),
          'set-job-digest',
          tag,
          digest,
        ]);
        expect(r.code, `${round}: ${r.stderr}`).toBe(0);
      }
      const after = readFileSync(join(dir, 'versions.json'), 'utf8');
      const parsed = JSON.parse(after);
      expect([parsed.jobDigest, parsed.jobDigestTag]).toEqual([digest, tag]);
      const { jobDigest: _d, jobDigestTag: _t, ...rest } = parsed;
      const { jobDigest: _bd, jobDigestTag: _bt, ...restBefore } = JSON.parse(before);
      expect(rest).toEqual(restBefore);
      const changed = after.split('\n').filter((line, i) => line !== before.split('\n')[i]);
      expect(changed).toEqual([`  "jobDigest": "${digest}",`, `  "jobDigestTag": "${tag}",`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each<[string, string[], RegExp]>([
    ['a tag that is not v<semver>', ['0.1.0', digest], /tag: "0.1.0" is not v<major>.<minor>.<patch>/],
    ['a digest that is not sha256', [tag, 'sha256:xyz'], /digest: "sha256:xyz" is not sha256:<64 hex>/],
  ])('refused: %s (exit 2, nothing written)', async (_, args, message) => {
    const dir = copy();
    try {
      const before = readFileSync(join(dir, 'versions.json'), 'utf8');
      const r = await exec(process.execPath, [
        join(dir, 'scripts/ci-versions.mjs'),
        'set-job-digest',
        ...args,
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(readFileSync(join(dir, 'versions.json'), 'utf8')).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ci.yml', () => {
  test('checks: lint, typecheck, dist/ freshness, unit tests; and the full suite through .ci/run', () => {
    const runs = (ci.jobs.checks?.steps ?? []).map((s) => s.run ?? '').join('\n');
    for (const cmd of [
      'npm run lint',
      'npm run typecheck',
      'npm run build',
      'git status --porcelain -- dist',
    ])
      expect(runs).toContain(cmd);
    expect(runs).toMatch(/vitest run --project unit/);
    expect((ci.jobs.test?.steps ?? []).some((s) => s.run?.includes('bash .ci/run'))).toBe(true);
  });

  test('self-test: uses ./, then kubectl get nodes, then an image built on the node runs in a pod', () => {
    const steps = ci.jobs['self-test']?.steps ?? [];
    const action = steps.findIndex((s) => s.uses === './');
    expect(action).toBeGreaterThan(0);
    expect(steps[action]?.with?.['k8s-version']).toBe(expr('matrix.k8s'));
    const after = steps.slice(action + 1).map((s) => s.run ?? '');
    expect(after[0]).toContain('kubectl get nodes');
    expect(after[1]).toMatch(
      /docker build[\s\S]*kubectl create job[\s\S]*kubectl wait --for=condition=complete/,
    );
  });

  test('negative: the bad step may fail, and the next step asserts that it did', () => {
    const steps = ci.jobs.negative?.steps ?? [];
    const bad = steps.find((s) => s.uses === './');
    expect(bad?.['continue-on-error']).toBe(true);
    expect(bad?.id).toBeTruthy();
    const check = steps[steps.indexOf(bad as Step) + 1];
    expect(Object.values(check?.env ?? {})).toContain(expr(`steps.${bad?.id}.outcome`));
    expect(check?.run).toMatch(/test "\$OUTCOME" = failure/);
  });
});

describe('release.yml', () => {
  test('runs on a version tag only', () => {
    expect(release.on).toEqual({ push: { tags: ['v*'] } });
  });

  test('bake pushes with kind-action publish, credentials in the environment only', () => {
    const bake = release.jobs.bake;
    const push = bake?.steps.find((s) => s.run?.includes('dist/cli/index.js publish'));
    expect(push?.run).toMatch(
      /publish --repository "\$ARCH_REPOSITORY" --k8s-version "\$MINOR"\s*\\\s*--arch "\$ARCH" --json/,
    );
    expect(push?.env).toMatchObject({ REGISTRY_PASSWORD: expr('secrets.GITHUB_TOKEN') });
    for (const job of Object.values(release.jobs))
      for (const step of job.steps) expect(step.run ?? '').not.toContain('secrets.');
    expect(bake?.permissions).toEqual({ contents: 'read', packages: 'write' });
  });

  test('index: signed and attested keylessly with the OIDC token', () => {
    const index = release.jobs.index;
    expect(index?.permissions).toMatchObject({ 'id-token': 'write', attestations: 'write' });
    const attest = index?.steps.find((s) => s.uses?.startsWith('actions/attest-build-provenance@'));
    expect(attest?.with).toMatchObject({ 'push-to-registry': true });
    expect(attest?.with?.['subject-digest']).toBe(expr('steps.index.outputs.digest'));
    expect(index?.steps.some((s) => /cosign sign --yes "\$REPOSITORY@\$DIGEST"/.test(s.run ?? ''))).toBe(
      true,
    );
  });

  test('job-image builds with build --job and pushes with publish --job per architecture; job-index signs and attests', () => {
    const steps = release.jobs['job-image']?.steps ?? [];
    const runs = steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('dist/cli/index.js build --job --arch "$ARCH" --kube-source "$KUBE_SOURCE"');
    expect(runs).toMatch(/publish --job --repository "\$ARCH_REPOSITORY" --arch "\$ARCH" --json/);
    const push = steps.find((s) => s.run?.includes('publish --job'));
    expect(push?.env).toMatchObject({ REGISTRY_PASSWORD: expr('secrets.GITHUB_TOKEN') });
    expect(release.jobs['job-image']?.permissions).toEqual({ contents: 'read', packages: 'write' });
    const index = release.jobs['job-index'];
    expect(index?.needs).toEqual(['versions', 'job-image']);
    expect(index?.permissions).toMatchObject({ 'id-token': 'write', attestations: 'write' });
    expect(index?.steps.some((s) => /cosign sign --yes "\$REPOSITORY@\$DIGEST"/.test(s.run ?? ''))).toBe(
      true,
    );
    const attest = index?.steps.find((s) => s.uses?.startsWith('actions/attest-build-provenance@'));
    expect(attest?.with?.['subject-name']).toBe(expr('needs.versions.outputs.job-repository'));
  });

  test('write-back opens a pull request with the digests and moves the major tag', () => {
    const runs = (release.jobs['write-back']?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(runs).toContain('node scripts/ci-versions.mjs set-digest "$minor" "$digest"');
    expect(runs).toContain('node scripts/ci-versions.mjs set-job-digest "$tag" "$digest"');
    // sync-versions rewrites the copies (GitLab files, manifests, …): the commit takes them all.
    expect(runs).toMatch(/npm run sync-versions[\s\S]*git add -u/);
    // The job image's digest comes from job-index, as the node's come from index.
    expect(release.jobs['write-back']?.needs).toEqual(['index', 'job-index']);
    const upload = release.jobs['job-index']?.steps.find((s) =>
      s.uses?.startsWith('actions/upload-artifact@'),
    );
    const download = release.jobs['write-back']?.steps.filter((s) =>
      s.uses?.startsWith('actions/download-artifact@'),
    );
    expect(upload?.with?.name).toBe('job-digest');
    expect(download?.map((s) => s.with?.name)).toContain('job-digest');
    const index = (release.jobs['job-index']?.steps ?? []).map((s) => s.run ?? '').join('\n');
    expect(index).toContain('echo "$tag $digest" >"$RUNNER_TEMP/job-digest/job"');
    expect(runs).toContain('gh pr create');
    expect(runs).toMatch(/major="\$\{TAG%%\.\*\}"/);
  });

  test('npm publish with provenance', () => {
    const npm = release.jobs.npm;
    expect(npm?.permissions).toMatchObject({ 'id-token': 'write' });
    expect(npm?.steps.some((s) => s.run?.startsWith('npm publish --provenance'))).toBe(true);
  });
});
