import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import { readCommandFile, removeRunnerJobs, runMain, runnerJob, runPost } from '../support/action.js';
import { cli, isolatedEnv } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { fakeNodeImage } from '../support/fake-node.js';
import { actionInputs, isRunnerInput } from '../support/sources-of-truth.js';
import { statusSchemaErrors } from '../support/status-schema.js';

/**
 * The Action's main and post as real node processes, the way a runner runs
 * them: INPUT_* variables and the GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE /
 * GITHUB_STEP_SUMMARY files, against the real Docker engine.
 */
const NAMES = [
  'act-debug',
  'act-cancel',
  'act-taken',
  'act-ok',
  'act-nodh',
  'act-never',
  'act-exit',
  'act-later',
  'act-keep',
  'act-expired',
];

afterAll(async () => {
  removeRunnerJobs();
  const env = isolatedEnv();
  for (const name of NAMES) await cli(['down', '--name', name], env);
});

describe('main then post, with a node that becomes ready', () => {
  test('outputs, exported variables, masks, state and summary; post leaves nothing', async () => {
    const job = runnerJob();
    const r = await runMain(job, { name: 'act-ok', image: fakeNodeImage('ready'), wait: '60s' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);

    const out = readCommandFile(job.files.output);
    expect(out).toMatchObject({
      'cluster-name': 'act-ok',
      kubeconfig: `${job.home}/.kube/kind-action-act-ok.yaml`,
      'cache-hit': 'false',
      image: fakeNodeImage('ready'),
      'diagnostics-dir': `${job.dir}/temp/kind-action-diagnostics-act-ok`,
    });
    expect(out['api-server']).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(out['docker-host']).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(out['ready-seconds']).toMatch(/^\d+(\.\d+)?$/);

    expect(readCommandFile(job.files.env)).toEqual({
      KUBECONFIG: out.kubeconfig,
      DOCKER_HOST: out['docker-host'],
    });
    const kubeconfig = out.kubeconfig ?? '';
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
    expect(readFileSync(kubeconfig, 'utf8')).toContain(`server: ${out['api-server']}`);

    // The key data and the decoded key are masked, and printed nowhere else.
    expect(r.stdout).toContain('::add-mask::ZmFrZS1rZXk=');
    expect(r.stdout).toContain('::add-mask::fake-key');
    expect(r.stdout.replace(/::add-mask::.*\n/g, '')).not.toMatch(/ZmFrZS1rZXk=|fake-key/);

    const state = JSON.parse(readCommandFile(job.files.state)['kind-action'] ?? '{}');
    expect(state).toMatchObject({ name: 'act-ok', phase: 'ready', keep: false, diagnosed: false });
    expect(state.save).toBeUndefined();

    const summary = readFileSync(job.files.summary, 'utf8');
    expect(summary).toMatch(/<h3>Kubernetes cluster "act-ok" ready in [\d.]+s<\/h3>/);
    expect(summary).toMatch(/<tr><td>kubernetes-ready<\/td><td>[\d.]+<\/td><\/tr>/);
    expect(summary).toContain('<li>cache hit: no</li>');
    expect((await leftovers('act-ok')).containers).toHaveLength(1);

    const p = await runPost(job, { name: 'act-ok' }, 'success');
    expect(p.code).toBe(0);
    expect(p.stdout).not.toContain('::warning::');
    expect(p.stdout).not.toContain('::group::');
    expect(p.stdout).toContain('removed 1 container(s)');
    expect(await leftovers('act-ok')).toEqual(NOTHING);
    expect(existsSync(out['diagnostics-dir'] ?? '')).toBe(false);
    // The kubeconfig held only this cluster: post deletes it with the node.
    expect(p.stdout).toContain(`deleted ${kubeconfig} (it held only "kind-act-ok")`);
    expect(existsSync(kubeconfig)).toBe(false);
  });

  test('debug on: the registry password and the key appear only in mask commands', async () => {
    const canary = `canary-${randomBytes(8).toString('hex')}`;
    const job = runnerJob({ RUNNER_DEBUG: '1' });
    const inputs = {
      name: 'act-debug',
      image: fakeNodeImage('ready'),
      registry: 'registry.example.com',
      'registry-user': 'bot',
      'registry-password': canary,
    };
    // The test node has no Docker inside, so the login fails: the failure path
    // is where a leak would show.
    const r = await runMain(job, inputs);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('::debug::docker create kind-action-act-debug');
    expect(r.stdout).toContain(`::add-mask::${canary}`);
    expect(r.stdout).toMatch(/::error::registry login to registry\.example\.com as bot failed: /);
    const p = await runPost(job, inputs, 'failure');
    expect(p.code).toBe(0);
    for (const text of [r.stdout + r.stderr, p.stdout + p.stderr, readFileSync(job.files.summary, 'utf8')]) {
      expect(text.replace(/::add-mask::.*\n/g, '')).not.toMatch(
        new RegExp(`${canary}|ZmFrZS1rZXk=|fake-key`),
      );
    }
    const inspect = await docker
      .getContainer('kind-action-act-debug')
      .inspect()
      .catch(() => undefined);
    expect(inspect).toBeUndefined();
    expect(await leftovers('act-debug')).toEqual(NOTHING);
    // The kubeconfig is written only once the login has worked: none names the removed node.
    expect(existsSync(`${job.home}/.kube/kind-action-act-debug.yaml`)).toBe(false);
  });

  test('export-docker-host: false exports only KUBECONFIG', async () => {
    const job = runnerJob();
    const r = await runMain(job, {
      name: 'act-nodh',
      image: fakeNodeImage('ready'),
      'export-docker-host': 'false',
    });
    expect(r.code).toBe(0);
    expect(Object.keys(readCommandFile(job.files.env))).toEqual(['KUBECONFIG']);
    expect((await runPost(job, {})).code).toBe(0);
    expect(await leftovers('act-nodh')).toEqual(NOTHING);
  });

  test('keep: true leaves the cluster running after post', async () => {
    const job = runnerJob();
    expect((await runMain(job, { name: 'act-keep', image: fakeNodeImage('ready'), keep: 'true' })).code).toBe(
      0,
    );
    const p = await runPost(job, {}, 'success');
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('keep: true; leaving cluster "act-keep" running');
    expect((await leftovers('act-keep')).containers).toHaveLength(1);
    const kubeconfig = `${job.home}/.kube/kind-action-act-keep.yaml`;
    expect(existsSync(kubeconfig)).toBe(true);
    // A later `down` from anywhere finds the file through the node's label.
    const down = await cli(['down', '--name', 'act-keep'], isolatedEnv());
    expect(down.stderr).toContain(`deleted ${kubeconfig}`);
    expect(await leftovers('act-keep')).toEqual(NOTHING);
    expect(existsSync(kubeconfig)).toBe(false);
  });
});

describe('failures: diagnostics, then teardown in post', () => {
  test('a node that never gets ready: main fails with diagnostics, post removes it', async () => {
    const job = runnerJob();
    const r = await runMain(job, { name: 'act-never', image: fakeNodeImage('never'), wait: '3s' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::.*kubernetes-ready/);
    for (const group of [
      'node container logs',
      'readiness /status',
      'kubectl get nodes,pods -A -o wide',
      'events',
    ]) {
      expect(r.stdout).toContain(`::group::kind-action diagnostics: ${group}`);
    }
    const dir = readCommandFile(job.files.output)['diagnostics-dir'] ?? '';
    expect(readdirSync(dir).sort()).toEqual([
      'describe-not-ready.txt',
      'events.txt',
      'node.log',
      'nodes-pods.txt',
      'status.json',
    ]);
    // The fake node has no kubectl: that piece says so instead of failing the step.
    expect(readFileSync(`${dir}/nodes-pods.txt`, 'utf8')).toMatch(/not available|exit/);
    // The node's own /status, as served: the agent's shape, saying why it is not ready.
    const status = JSON.parse(readFileSync(`${dir}/status.json`, 'utf8'));
    expect(statusSchemaErrors(status)).toEqual([]);
    expect(status.kubernetes).toEqual({ ok: false, reason: 'coredns: 0 ready pods' });
    const state = JSON.parse(readCommandFile(job.files.state)['kind-action'] ?? '{}');
    expect(state).toMatchObject({ phase: 'failed', diagnosed: true });
    // The failed node is kept for post (and for diagnostics), then removed there.
    expect((await leftovers('act-never')).containers).toHaveLength(1);

    const p = await runPost(job, {}, 'failure');
    expect(p.code).toBe(0);
    expect(p.stdout).not.toContain('::group::');
    expect(await leftovers('act-never')).toEqual(NOTHING);
  });

  test('a node that exits: main fails naming it, with its last log lines', async () => {
    const job = runnerJob();
    const r = await runMain(job, { name: 'act-exit', image: fakeNodeImage('exit'), wait: '30s' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::/);
    expect(r.stdout).toContain('fake-node: failing on purpose');
    expect((await runPost(job, {}, 'failure')).code).toBe(0);
    expect(await leftovers('act-exit')).toEqual(NOTHING);
  });

  test('cancelled while waiting (SIGINT from the runner): main removes the node, post finds nothing', async () => {
    const job = runnerJob();
    const r = await runMain(
      job,
      { name: 'act-cancel', image: fakeNodeImage('never'), wait: '120s' },
      {
        onSpawn: (child) => {
          let seen = '';
          const onData = (d: Buffer): void => {
            seen += d.toString();
            if (!seen.includes('waiting for kind-action-act-cancel')) return;
            child.stdout?.off('data', onData);
            child.kill('SIGINT');
          };
          child.stdout?.on('data', onData);
        },
      },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::interrupted by SIGINT/);
    expect(await leftovers('act-cancel')).toEqual(NOTHING);
    const p = await runPost(job, {}, 'cancelled');
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('removed 0 container(s)');
  });

  test('a later step failed: post writes diagnostics, then tears down', async () => {
    const job = runnerJob();
    expect((await runMain(job, { name: 'act-later', image: fakeNodeImage('ready') })).code).toBe(0);
    const p = await runPost(job, {}, 'failure');
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('::group::kind-action diagnostics: node container logs');
    const dir = readCommandFile(job.files.output)['diagnostics-dir'] ?? '';
    expect(readdirSync(dir)).toContain('node.log');
    expect(await leftovers('act-later')).toEqual(NOTHING);
  });

  test('a name already in use: main refuses it, and post leaves the other cluster alone', async () => {
    const env = isolatedEnv();
    expect((await cli(['up', '--name', 'act-taken', '--image', fakeNodeImage('ready')], env)).code).toBe(0);
    const job = runnerJob();
    const r = await runMain(job, { name: 'act-taken', image: fakeNodeImage('ready') });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::name: a cluster named "act-taken" already exists/);
    const p = await runPost(job, {}, 'failure');
    expect(p.stdout).toContain('nothing to clean up');
    expect((await leftovers('act-taken')).containers).toHaveLength(1);
    await cli(['down', '--name', 'act-taken'], env);
  });

  test('an expired cluster of the same name: main sweeps it and starts its own, post removes that', async () => {
    // Left by an earlier job that never ran its post step, its time to live now over.
    const env = isolatedEnv();
    const old = await cli(
      ['up', '--name', 'act-expired', '--image', fakeNodeImage('ready'), '--ttl', '1s'],
      env,
    );
    expect(old.code, old.stderr).toBe(0);
    const [node] = await docker.listContainers({
      all: true,
      filters: { label: ['io.kind-action.cluster=act-expired'] },
    });
    const expires = Number(node?.Labels['io.kind-action.expires']);
    expect(expires).toBeGreaterThan(0);
    // Wait until the label's second has certainly passed (a wait, not a timing assertion).
    while (Math.floor(Date.now() / 1000) <= expires) await sleep(250);

    const job = runnerJob();
    const r = await runMain(job, { name: 'act-expired', image: fakeNodeImage('ready') });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain('cluster "act-expired" outlived its time to live; removing it');
    const state = JSON.parse(readCommandFile(job.files.state)['kind-action'] ?? '{}');
    expect(state).toMatchObject({ name: 'act-expired', owns: true, phase: 'ready' });
    const [mine] = await docker.listContainers({
      all: true,
      filters: { label: ['io.kind-action.cluster=act-expired'] },
    });
    expect(mine?.Id).not.toBe(node?.Id);
    expect(mine?.Labels['io.kind-action.expires']).not.toBe(String(expires));

    const p = await runPost(job, {}, 'success');
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('removed 1 container(s)');
    expect(await leftovers('act-expired')).toEqual(NOTHING);
  });

  test('post with no state from main does nothing and succeeds', async () => {
    const p = await runPost(runnerJob(), {});
    expect(p.code).toBe(0);
    expect(p.stdout).toContain('nothing to clean up');
  });
});

describe('a damaged cache entry', () => {
  test.each<[string, (archive: string) => void]>([
    ['truncated', (f) => truncateSync(f, 100)],
    [
      'a flipped byte',
      (f) => {
        const b = readFileSync(f);
        b[10] = (b[10] ?? 0) ^ 0xff;
        writeFileSync(f, b);
      },
    ],
  ])('%s: a warning, the entry removed, and main goes on to the next source', async (_, damage) => {
    const cache = mkdtempSync(join(tmpdir(), 'ka-action-cache-'));
    // A custom bake (a preload) is never present locally, so the cache is asked.
    const inputs = { name: 'act-cache', 'preload-images': fakeNodeImage('ready'), build: 'never' };
    const first = await runMain(runnerJob({ KIND_ACTION_CACHE: cache }), inputs);
    const key = /cache miss: no entry for (\S+)/.exec(first.stdout)?.[1];
    expect(key, first.stdout).toBeTruthy();
    // An entry's archive with its sha256 beside it (restore checks it before the manifest).
    const entry = join(cache, 'images', `${key}-r4242-1`);
    mkdirSync(entry, { recursive: true });
    const archive = join(entry, 'rootfs.tar.gz');
    writeFileSync(archive, gzipSync(randomBytes(4096)));
    writeFileSync(
      `${archive}.sha256`,
      `${createHash('sha256').update(readFileSync(archive)).digest('hex')}\n`,
    );
    damage(archive);

    const r = await runMain(runnerJob({ KIND_ACTION_CACHE: cache }), inputs);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /::warning::cache entry \S+ is corrupt or partial .* removing it and building the image again/,
    );
    // Past the cache: here build: never stops it; otherwise the bake replaces the entry.
    expect(r.stdout).toMatch(
      /::error::build: never, and \S+ is not present locally, in the cache or in a registry/,
    );
    expect(readdirSync(join(cache, 'images'))).toEqual([]);
    expect(await leftovers('act-cache')).toEqual(NOTHING);
    rmSync(cache, { recursive: true, force: true });
  });
});

describe('bad input: a clear error before anything starts, nothing created', () => {
  test.each<[string, Record<string, string>, RegExp]>([
    ['unknown build', { build: 'sometimes' }, /build: "sometimes" is not one of auto, always, never/],
    ['wait: soon', { wait: 'soon' }, /wait: "soon" is not a duration/],
    [
      'bad preload ref',
      { 'preload-images': 'nginx:1\nNOT/valid ref' },
      /preload-images: "NOT\/valid ref" is not an image reference/,
    ],
    [
      'missing hook path',
      { 'after-cluster': 'hooks/nope.sh' },
      /after-cluster: "hooks\/nope.sh" is not an existing file/,
    ],
    [
      'registry-user without password',
      { 'registry-user': 'bot' },
      /registry-user: given without registry-password/,
    ],
    ['cache: maybe', { cache: 'maybe' }, /cache: "maybe" is not a boolean/],
    ['unsupported k8s-version', { 'k8s-version': '1.20' }, /k8s-version: "1.20" is not supported/],
    ['shell-hostile name', { name: '$(touch /tmp/ka-pwned)' }, /name: .* is not a DNS label/],
    ['shell-hostile wait', { wait: '1s;touch /tmp/ka-pwned' }, /wait: .* is not a duration/],
    [
      'shell-hostile preload',
      { 'preload-images': 'a`touch /tmp/ka-pwned`' },
      /preload-images: .* is not an image reference/,
    ],
    [
      'shell-hostile hook path',
      { 'before-cluster': '$(touch /tmp/ka-pwned)' },
      /before-cluster: .* is not an existing file/,
    ],
  ])('%s', async (_, inputs, message) => {
    const job = runnerJob();
    const r = await runMain(job, { name: 'act-bad', image: fakeNodeImage('ready'), ...inputs });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`::error::${message.source}`));
    // Nothing started: no state for post, no outputs, no container.
    expect(readFileSync(job.files.state, 'utf8')).toBe('');
    expect(readFileSync(job.files.output, 'utf8')).toBe('');
    expect(readFileSync(job.files.env, 'utf8')).toBe('');
    expect(await leftovers('act-bad')).toEqual(NOTHING);
    expect(existsSync('/tmp/ka-pwned')).toBe(false);
    expect((await runPost(job, {})).stdout).toContain('nothing to clean up');
  });

  test('the registry password is masked before any error can show it', async () => {
    const job = runnerJob();
    const r = await runMain(job, { 'registry-password': 'hunter2-secret' });
    expect(r.code).toBe(1);
    expect(r.stdout.indexOf('::add-mask::hunter2-secret')).toBe(0);
    expect(r.stdout).toContain('::error::registry-password: given without registry-user');
  });
});

/**
 * Every input of action.yml a user sets (the runner fills job-status); an
 * empty value means "the default" on a runner, so it is not bad.
 */
const ACTION_INPUTS = actionInputs()
  .filter((input) => !isRunnerInput(input))
  .map((input) => input.name);
const HOSTILE_VALUES: [string, string][] = [
  ['very long', 'a'.repeat(5000)],
  ['command substitution', '$(touch /tmp/ka-pwned)'],
  ['quote breakout', 'a";touch /tmp/ka-pwned;"'],
  ['embedded newline', 'a\n$(touch /tmp/ka-pwned)'],
];
// A file name is free text: the kubeconfig is written at exactly that path (the CLI tests show it).
const LITERAL = new Set(['kubeconfig/command substitution', 'kubeconfig/quote breakout']);
const ACTION_MATRIX = ACTION_INPUTS.flatMap((input) =>
  HOSTILE_VALUES.filter(([what]) => !LITERAL.has(`${input}/${what}`)).map(
    ([what, value]) => [input, what, value] as const,
  ),
);

describe(`every input × very long and shell-hostile values (${ACTION_MATRIX.length} cases)`, () => {
  test.each(ACTION_MATRIX)('%s: %s → an error naming the input, nothing started', async (input, _, value) => {
    // No daemon can be reached: an input that slipped through could start nothing.
    const job = runnerJob({ DOCKER_HOST: 'unix:///tmp/ka-no-such.sock' });
    const r = await runMain(job, { [input]: value });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`::error::${input}: `));
    expect(readFileSync(job.files.state, 'utf8')).toBe('');
    expect(existsSync('/tmp/ka-pwned')).toBe(false);
  });
});
