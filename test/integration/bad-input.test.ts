import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLI, cli, isolatedEnv } from '../support/cli.js';
import { leftovers, NOTHING, snapshot } from '../support/docker.js';
import { exec } from '../support/exec.js';
import { fakeNodeImage } from '../support/fake-node.js';
import { cliValueOptions } from '../support/sources-of-truth.js';

const env = isolatedEnv();
let blocker: Server;
let blockedPort = 0;

beforeAll(async () => {
  // Another process holds a host port, as happens on shared CI machines.
  blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const address = blocker.address();
  blockedPort = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  blocker.close();
  await cli(['down', '--all'], env);
});

const ready = fakeNodeImage('ready');

describe('bad input: a clear error naming the problem, exit 2, nothing left behind', () => {
  test.each([
    [
      'invalid cluster name',
      ['up', '--name', 'Bad_Name', '--image', ready],
      /--name: "Bad_Name" is not a DNS label/,
    ],
    ['name too long', ['up', '--name', 'a'.repeat(41), '--image', ready], /--name: .* longer than 40/],
    [
      'timeout not a duration',
      ['up', '--image', ready, '--timeout', 'soon'],
      /--timeout: "soon" is not a duration/,
    ],
    ['unknown flag', ['up', '--bogus'], /unknown option '--bogus'/],
    ['unknown command', ['explode'], /unknown command 'explode'/],
    [
      'bad --publish',
      ['up', '--image', ready, '--publish', '80'],
      /--publish: "80" is not \[IP:\]HOSTPORT:NODEPORT/,
    ],
    [
      'bad image reference',
      ['up', '--image', 'Not An Image'],
      /--image: "Not An Image" is not an image reference/,
    ],
    [
      'unsupported Kubernetes version',
      ['up', '--k8s-version', '1.20'],
      /--k8s-version: "1.20" is not supported/,
    ],
    ['bad privilege mode', ['up', '--privileged-mode', 'maybe'], /argument 'maybe' is invalid/],
    ['down with --name and --all', ['down', '--name', 'x', '--all'], /give --name or --all, not both/],
    [
      'wait: --api-server without --url',
      ['wait', '--api-server', 'https://kind:8443'],
      /--api-server: only with --url/,
    ],
    ['up: unknown --wait-for', ['up', '--wait-for', 'api'], /'--wait-for <what>' argument 'api' is invalid/],
    ['wait with a bad url', ['wait', '--url', 'kind:10080'], /--url: "kind:10080" must start with http/],
    ['shell-hostile name', ['up', '--name', '$(touch /tmp/ka-pwned)'], /--name: .* is not a DNS label/],
    [
      'shell-hostile timeout',
      ['up', '--timeout', 'a";touch /tmp/ka-pwned;"'],
      /--timeout: .* is not a duration/,
    ],
    ['newline in name', ['up', '--name', 'a\nb'], /--name: "a\\nb" is not a DNS label/],
    [
      'bad network name',
      ['up', '--network', 'no such net!'],
      /--network: "no such net!" is not a Docker network name/,
    ],
    [
      'build: unknown kube source',
      ['build', '--kube-source', 'maybe'],
      /--kube-source: "maybe" is not one of release, source/,
    ],
    [
      'build: bad preload reference',
      ['build', '--preload', 'Not An Image'],
      /--preload: "Not An Image" is not an image reference/,
    ],
    [
      'build: hook that does not exist',
      ['build', '--before-cluster', '/nonexistent/hook.sh'],
      /--before-cluster: "\/nonexistent\/hook.sh" is not an existing file/,
    ],
    ['build: bad tag', ['build', '--tag', 'a";touch /tmp/ka-pwned;"'], /--tag: .* is not an image reference/],
    [
      'build: missing registry secret file',
      ['build', '--registry-secret', '/nonexistent'],
      /--registry-secret: "\/nonexistent" is not an existing file/,
    ],
  ])('%s', async (_, args, message) => {
    const before = await snapshot();
    const r = await cli(args, env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(await snapshot()).toEqual(before);
    expect(existsSync('/tmp/ka-pwned')).toBe(false);
  });

  test.each([
    [{ REGISTRY_USER: 'bot' }, /REGISTRY_USER: given without REGISTRY_PASSWORD/],
    [{ REGISTRY_PASSWORD: 'secret-canary' }, /REGISTRY_PASSWORD: given without REGISTRY_USER/],
    [
      { REGISTRY: 'a";touch /tmp/ka-pwned;"', REGISTRY_USER: 'bot', REGISTRY_PASSWORD: 'secret-canary' },
      /REGISTRY: .* is not a registry host/,
    ],
  ])('registry login environment %j: exit 2 before anything starts', async (extra, message) => {
    const before = await snapshot();
    const r = await cli(['up', '--name', 'reg-env', '--image', ready], { ...env, ...extra });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('secret-canary');
    expect(await snapshot()).toEqual(before);
  });

  test('an image that does not exist fails at once', async () => {
    const r = await cli(['up', '--name', 'noimg', '--image', 'kind-action-test/does-not-exist:v0'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /--image: kind-action-test\/does-not-exist:v0: not present locally and the pull failed/,
    );
    expect(await leftovers('noimg')).toEqual(NOTHING);
  });

  test('no Docker daemon: names where it looked', async () => {
    const r = await cli(['up', '--image', ready], { ...env, DOCKER_HOST: 'unix:///tmp/ka-no-such.sock' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /cannot reach a Docker daemon at unix:\/\/\/tmp\/ka-no-such.sock \(from DOCKER_HOST\)/,
    );
  });

  test('a daemon that accepts but never answers: gives up within the connect timeout', async () => {
    const silent = createServer(() => {
      /* accept and say nothing */
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const r = await cli(['status'], { ...env, DOCKER_HOST: `tcp://127.0.0.1:${port}` });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /no answer from a Docker daemon at tcp:\/\/127.0.0.1:\d+ \(from DOCKER_HOST\) within 5s/,
      );
    } finally {
      silent.close();
    }
  });

  test('a fixed host port already in use', async () => {
    const r = await cli(
      ['up', '--name', 'portbusy', '--image', ready, '--publish', `127.0.0.1:${blockedPort}:8443`],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/host port is already in use/);
    expect(await leftovers('portbusy')).toEqual(NOTHING);
  });

  test('a name already taken by a running cluster: says so and how to remove it', async () => {
    expect((await cli(['up', '--name', 'taken', '--image', ready], env)).code).toBe(0);
    const before = await snapshot();
    const r = await cli(['up', '--name', 'taken', '--image', ready], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /a cluster named "taken" already exists .*running.*kind-action down --name taken/,
    );
    expect(await snapshot()).toEqual(before);
  });
});

/** The hostile values every option that takes one is tried with. */
const HOSTILE: [string, string][] = [
  ['empty', ''],
  ['very long', 'a'.repeat(5000)],
  ['command substitution', '$(touch /tmp/ka-pwned)'],
  ['quote breakout', 'a";touch /tmp/ka-pwned;"'],
  ['embedded newline', 'a\ntouch /tmp/ka-pwned'],
];

/**
 * Arguments valid on their own, per command; the option under test comes
 * after them, so it wins. A command without an entry fails the test below.
 */
const BASE: Record<string, string[]> = {
  up: ['up', '--image', ready],
  build: ['build'],
  wait: ['wait', '--url', 'http://127.0.0.1:1', '--timeout', '1s'],
  down: ['down'],
  status: ['status'],
  logs: ['logs'],
  kubeconfig: ['kubeconfig'],
  'kubectl-path': ['kubectl-path'],
  publish: ['publish', '--repository', '127.0.0.1:1/ka-test/node'],
  'port-forward': ['port-forward', '--host-kubeconfig', '/nonexistent/host.yaml'],
};

/** Every option of every command that takes a value, read from the commander program. */
const OPTIONS: [string[], string][] = cliValueOptions().map(({ command, flag }) => [
  BASE[command] ?? [command],
  flag,
]);

test('every command with an option that takes a value has valid base arguments', () => {
  const commands = new Set(cliValueOptions().map((o) => o.command));
  expect([...commands].filter((c) => !BASE[c])).toEqual([]);
  // The walk really reads the program: a known option of each kind is there.
  expect(OPTIONS.map(([base, flag]) => `${base[0]} ${flag}`)).toEqual(
    expect.arrayContaining(['up --timeout', 'build --preload', 'wait --url', 'logs --tail']),
  );
});

/** A file name is free text: these are valid paths, written literally (shown below). */
const LITERAL_PATHS = new Set(['command substitution', 'quote breakout']);

const MATRIX = OPTIONS.flatMap(([base, option]) =>
  HOSTILE.filter(([what]) => !(option === '--kubeconfig' && LITERAL_PATHS.has(what))).map(
    ([what, value]) => [`${base[0]} ${option}`, what, [...base, option, value]] as const,
  ),
);

describe(`every option × empty, very long and shell-hostile values (${MATRIX.length} cases)`, () => {
  // No daemon can be reached: an input that slipped through could start nothing.
  const noDaemon = { ...env, DOCKER_HOST: 'unix:///tmp/ka-no-such.sock' };

  test.each(MATRIX)('%s: %s → exit 2 naming the option', async (_, _what, args) => {
    const option = args.at(-2) ?? '';
    const r = await cli([...args], noDaemon);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toContain(option);
    expect(r.stderr).not.toContain('cannot reach a Docker daemon');
    expect(r.stdout).toBe('');
    expect(existsSync('/tmp/ka-pwned')).toBe(false);
  });

  test.each([...LITERAL_PATHS].map((what) => HOSTILE.find(([w]) => w === what) ?? ['', '']))(
    '--kubeconfig %s: a file of exactly that name, nothing run',
    async (_, value) => {
      expect((await cli(['up', '--name', 'literal', '--image', ready], env)).code).toBe(0);
      const dir = mkdtempSync(join(tmpdir(), 'ka-literal-'));
      try {
        const r = await exec(
          process.execPath,
          [CLI, 'kubeconfig', '--name', 'literal', '--kubeconfig', value],
          {
            env,
            cwd: dir,
          },
        );
        expect(r.code, r.stderr).toBe(0);
        // Slashes in the value are directories, as for any relative path.
        expect(readdirSync(dir)).toEqual([value.split('/')[0]]);
        expect(statSync(join(dir, value)).mode & 0o777).toBe(0o600);
        expect(existsSync('/tmp/ka-pwned')).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await cli(['down', '--name', 'literal'], env);
      }
    },
  );
});
