import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, inject, test } from 'vitest';
import { parse } from 'yaml';
import { CLI } from '../support/cli.js';
import { docker, hostPort, leftovers, NOTHING } from '../support/docker.js';
import { type ExecResult, exec } from '../support/exec.js';
import { fakeNodeImage } from '../support/fake-node.js';

/**
 * circleci/kind.sh on this host, the way CircleCI's machine executor runs
 * `run:` steps: each in a fresh `bash -eo pipefail`, with $BASH_ENV (which
 * bash itself sources) carrying exports from one step to the next.
 */

const SCRIPT = resolve('circleci/kind.sh');
const REAL_NODE = inject('nodeImage');
const KUBE_BIN = inject('kubeBin');
const NAMES = ['ci-docker', 'ci-cli', 'ci-never', 'ci-run', 'ci-term', 'ci-real'];

interface Step {
  name: string;
  command: string;
  when?: string;
}

const config = parse(readFileSync('circleci/config.yml', 'utf8'));
const job = config.jobs.e2e;
const steps: Step[] = (job.steps as unknown[]).flatMap((s) => {
  if (typeof s !== 'object' || s === null || !('run' in s)) return [];
  const run = (s as { run: string | Step }).run;
  return [typeof run === 'string' ? { name: run, command: run } : run];
});

function jobEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'ka-circleci-'));
  const bashEnv = join(home, '.circlerc');
  writeFileSync(bashEnv, '');
  return {
    PATH: `${KUBE_BIN}:${dirname(process.execPath)}:${process.env.PATH}`,
    HOME: home,
    BASH_ENV: bashEnv,
    CIRCLECI: 'true',
    ...job.environment,
    ...extra,
  };
}

function step(
  command: string,
  env: NodeJS.ProcessEnv,
  opts: Parameters<typeof exec>[2] = {},
): Promise<ExecResult> {
  return exec('bash', ['-eo', 'pipefail', '-c', command], {
    cwd: resolve('.'),
    stdin: 'ignore',
    ...opts,
    env,
  });
}

/** The config's steps in order; after a failure only `when: always` steps run, as on CircleCI. */
async function runSteps(selected: Step[], env: NodeJS.ProcessEnv): Promise<{ failed?: string; log: string }> {
  let failed: string | undefined;
  let log = '';
  for (const s of selected) {
    if (failed && s.when !== 'always') continue;
    const r = await step(s.command, env);
    log += `### ${s.name} (exit ${r.code})\n${r.stdout}${r.stderr}`;
    if (r.code !== 0) failed ??= s.name;
  }
  return failed === undefined ? { log } : { failed, log };
}

const kindSteps = steps.filter((s) => s.command.includes('kind.sh'));

afterEach(async () => {
  for (const name of NAMES)
    await exec('bash', [SCRIPT, 'down'], { env: jobEnv({ KIND_NAME: name }), stdin: 'ignore' });
});

afterAll(async () => {
  for (const name of NAMES) expect(await leftovers(name)).toEqual(NOTHING);
});

async function checkExports(env: NodeJS.ProcessEnv, name: string): Promise<void> {
  const exported = readFileSync(env.BASH_ENV ?? '', 'utf8');
  expect(exported).toMatch(/^export KUBECONFIG=\S+$/m);
  const [container] = await docker.listContainers({ filters: { label: [`io.kind-action.cluster=${name}`] } });
  if (!container) throw new Error(`no container for ${name}`);
  const api = await hostPort(container.Id, 8443);
  const dockerPort = await hostPort(container.Id, 2375);
  expect(exported).toContain(`export DOCKER_HOST=tcp://127.0.0.1:${dockerPort}`);
  expect(exported).toContain(`export KIND_API_SERVER=https://127.0.0.1:${api}`);
  // A later step sees the exports through $BASH_ENV alone.
  const later = await step(
    'stat -c %a "$KUBECONFIG"; grep server: "$KUBECONFIG"; curl -fsS "http://$(echo "$DOCKER_HOST" | cut -c 7-)/_ping"',
    env,
  );
  expect(later.code, later.stderr).toBe(0);
  expect(later.stdout).toContain('600');
  expect(later.stdout).toContain(`server: https://127.0.0.1:${api}`);
  expect(later.stdout).toContain('OK');
  expect(container.Labels).toMatchObject({
    'io.kind-action.managed': 'true',
    'io.kind-action.cluster': name,
  });
}

describe('circleci/kind.sh against the test node', () => {
  test('plain docker run (no Node): up exports for later steps, down removes everything', async () => {
    const env = jobEnv({
      KIND_NAME: 'ci-docker',
      KIND_IMAGE: fakeNodeImage('slow'),
      KIND_ACTION_MODE: 'docker',
    });
    const up = await step(kindSteps[0]?.command ?? '', env);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('with docker run');
    expect(up.stderr).toMatch(/node started \((privileged|capability fallback)/);
    await checkExports(env, 'ci-docker');
    expect((await leftovers('ci-docker')).volumes).toHaveLength(1);
    const again = await step(kindSteps[0]?.command ?? '', env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('a cluster named "ci-docker" already exists');
    const down = await step(kindSteps[1]?.command ?? '', env);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers('ci-docker')).toEqual(NOTHING);
  });

  test('with the CLI: up --json fills the same exports', async () => {
    const env = jobEnv({
      KIND_NAME: 'ci-cli',
      KIND_IMAGE: fakeNodeImage('ready'),
      KIND_ACTION_MODE: 'cli',
      KIND_ACTION_CLI: `${process.execPath} ${CLI}`,
    });
    const up = await step(kindSteps[0]?.command ?? '', env);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain(`with: ${process.execPath} ${CLI} up --name ci-cli`);
    await checkExports(env, 'ci-cli');
    const down = await step(kindSteps[1]?.command ?? '', env);
    expect(down.code, down.stderr).toBe(0);
    expect(await leftovers('ci-cli')).toEqual(NOTHING);
  });

  test.each(['docker', 'cli'])(
    'a node that never gets ready (%s): the reason, then nothing left',
    async (mode) => {
      const env = jobEnv({
        KIND_NAME: 'ci-never',
        KIND_IMAGE: fakeNodeImage('never'),
        KIND_TIMEOUT: '3s',
        KIND_ACTION_MODE: mode,
        KIND_ACTION_CLI: `${process.execPath} ${CLI}`,
      });
      const r = await step(kindSteps[0]?.command ?? '', env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/timed out .*kubernetes-ready.*coredns: 0 ready pods/);
      if (mode === 'docker') {
        expect(r.stderr).toMatch(
          /the node's \/status: \{.*"kubernetes":\{"ok":false,"reason":"coredns: 0 ready pods"\}/,
        );
        expect(r.stderr).toContain('did not become ready in 3s (KIND_TIMEOUT)');
      }
      expect(readFileSync(env.BASH_ENV ?? '', 'utf8')).toBe('');
      expect(await leftovers('ci-never')).toEqual(NOTHING);
    },
  );

  test('run -- COMMAND: the command sees the cluster, its exit code is kept, cleanup always', async () => {
    const env = jobEnv({
      KIND_NAME: 'ci-run',
      KIND_IMAGE: fakeNodeImage('ready'),
      KIND_ACTION_MODE: 'docker',
    });
    const ok = await step(`${SCRIPT} run -- sh -c 'grep server: "$KUBECONFIG"; echo "$DOCKER_HOST"'`, env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/server: https:\/\/127\.0\.0\.1:\d+/);
    expect(ok.stdout).toMatch(/tcp:\/\/127\.0\.0\.1:\d+/);
    expect(await leftovers('ci-run')).toEqual(NOTHING);
    const failing = await step(`${SCRIPT} run -- sh -c 'exit 7'`, env);
    expect(failing.code).toBe(7);
    expect(await leftovers('ci-run')).toEqual(NOTHING);
  });

  test('SIGTERM while waiting: exit 143 and the node is removed', async () => {
    const env = jobEnv({
      KIND_NAME: 'ci-term',
      KIND_IMAGE: fakeNodeImage('never'),
      KIND_TIMEOUT: '120s',
      KIND_ACTION_MODE: 'docker',
    });
    let sent = false;
    const r = await exec('bash', [SCRIPT, 'up'], {
      env,
      onStderr: (text, child) => {
        if (!sent && text.includes('node started')) {
          sent = true;
          setTimeout(() => child.kill('SIGTERM'), 500);
        }
      },
    });
    expect(r.code, r.stderr).toBe(143);
    expect(await leftovers('ci-term')).toEqual(NOTHING);
  });

  test.each([
    [{ KIND_TIMEOUT: 'soon' }, /KIND_TIMEOUT="soon" is not a duration/],
    [{ KIND_ACTION_MODE: 'maybe' }, /KIND_ACTION_MODE="maybe" is not auto, cli or docker/],
    [{ KIND_K8S_VERSION: '1.20', KIND_IMAGE: '' }, /KIND_K8S_VERSION="1.20" is not supported/],
  ])('bad input %o', async (extra, message) => {
    const env = jobEnv({ KIND_NAME: 'ci-docker', KIND_ACTION_MODE: 'docker', ...extra });
    const r = await exec('bash', [SCRIPT, 'up'], { env, stdin: 'ignore' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(await leftovers('ci-docker')).toEqual(NOTHING);
  });

  test('no command: usage, exit 2', async () => {
    const r = await exec('bash', [SCRIPT], { env: jobEnv({}), stdin: 'ignore' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('usage:');
  });
});

const realNodeAvailable = await docker
  .getImage(REAL_NODE)
  .inspect()
  .then(() => true)
  .catch(() => false);
if (!realNodeAvailable) {
  // The project's global setup bakes it; a missing image is a failure, never a skip.
  throw new Error(`${REAL_NODE} is required but not present (run: kind-action build --kube-source source)`);
}

describe(`circleci/config.yml against the real node (${REAL_NODE})`, () => {
  test.each(['docker', 'cli'])(
    'every step of the example job (%s)',
    async (mode) => {
      const env = jobEnv({
        KIND_NAME: 'ci-real',
        KIND_IMAGE: REAL_NODE,
        KIND_ACTION_MODE: mode,
        KIND_ACTION_CLI: `${process.execPath} ${CLI}`,
      });
      const { failed, log } = await runSteps(steps, env);
      expect(failed, log).toBeUndefined();
      expect(log).toMatch(/node Docker \d+/);
      expect(log).toMatch(/\n\S+\s+Ready\s+control-plane/);
      expect(await leftovers('ci-real')).toEqual(NOTHING);
    },
    300_000,
  );
});
