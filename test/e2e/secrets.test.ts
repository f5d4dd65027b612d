import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { defaultCodec } from '../../src/core/cache/codec.js';
import { saveImage } from '../../src/core/cache/image-cache.js';
import { LocalDirectoryStore } from '../../src/core/cache/local-store.js';
import { MANIFEST_FILE } from '../../src/core/cache/manifest.js';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import { DockerClient } from '../../src/core/docker/client.js';
import { silentLogger } from '../../src/core/logger.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { type ExecResult, exec, execOk } from '../support/exec.js';
import { buildHelloApp } from '../support/hello-app.js';
import { runPodToCompletion } from '../support/kubectl.js';
import { type RunningRegistry, startRegistry } from '../support/registry.js';

const kubeBin = inject('kubeBin');
const k8sVersion = inject('nodeImage').replace(/^.*:v/, '');
const TAG = 'kind-action-test/node:secrets';
const PRELOAD = '127.0.0.1:5000/canary/app:v1';
const USER = 'bake-bot';
const canary = `canary-${randomBytes(12).toString('hex')}`;
const runtimeCanary = `runtime-${randomBytes(12).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'ka-secrets-'));
const env = isolatedEnv({ KIND_ACTION_DEBUG: '1' });
let bake: ExecResult;
let up: UpJson;
let upOutput = '';
let adminKey = '';

/**
 * The preload registry lives in the bake container's own network namespace
 * (127.0.0.1:5000 there), the only place the node's Docker reaches without
 * TLS; the before-cluster hook waits for it, so login and pull are real.
 */
async function bakeWithRegistry(): Promise<ExecResult> {
  const hook = join(dir, 'wait-for-registry.sh');
  writeFileSync(
    hook,
    '#!/bin/bash\nfor i in $(seq 600); do (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null && exit 0; sleep 0.5; done\nexit 1\n',
  );
  chmodSync(hook, 0o755);
  const secret = join(dir, 'registry.env');
  writeFileSync(secret, `REGISTRY=127.0.0.1:5000\nREGISTRY_USER=${USER}\nREGISTRY_PASSWORD=${canary}\n`, {
    mode: 0o600,
  });
  await buildHelloApp('unix:///var/run/docker.sock', 'hello-app:canary');
  let registry: RunningRegistry | undefined;
  const run = cli(
    [
      'build',
      '--kube-source',
      'source',
      '--k8s-version',
      k8sVersion,
      '--tag',
      TAG,
      '--force',
      '--preload',
      PRELOAD,
      '--registry-secret',
      secret,
      '--before-cluster',
      hook,
    ],
    env,
    {
      onSpawn: () => {
        void runningContainer('kind-action-bake-').then(async (id) => {
          registry = await startRegistry({
            network: `container:${id}`,
            user: USER,
            password: canary,
            seed: [{ image: 'hello-app:canary', ref: 'canary/app:v1' }],
          });
        });
      },
    },
  );
  try {
    return await run;
  } finally {
    await registry?.stop();
  }
}

/** The id of the first running container whose name starts with `prefix`, once there is one. */
async function runningContainer(prefix: string): Promise<string> {
  for (let i = 0; i < 2400; i++) {
    const [c] = await docker.listContainers({ filters: { name: [prefix], status: ['running'] } });
    if (c) return c.Id;
    await sleep(100);
  }
  throw new Error(`no container named ${prefix}… appeared`);
}

/**
 * `up` with a run-time login, and a registry started in the node's network
 * namespace as soon as the node exists: `up` logs in once the node is ready,
 * through the exec's stdin.
 */
async function upWithRegistry(name: string, password: string): Promise<ExecResult> {
  let registry: RunningRegistry | undefined;
  const run = cli(
    ['up', '--name', name, '--image', TAG, '--json'],
    { ...env, REGISTRY: '127.0.0.1:5000', REGISTRY_USER: 'run-bot', REGISTRY_PASSWORD: password },
    {
      onSpawn: () => {
        void runningContainer(`kind-action-${name}`).then(async (id) => {
          registry = await startRegistry({
            network: `container:${id}`,
            user: 'run-bot',
            password: runtimeCanary,
          });
        });
      },
    },
  );
  try {
    return await run;
  } finally {
    await registry?.stop();
  }
}

/** Whether any of `needles` occurs in a byte stream (matches across chunk edges). */
async function streamContains(stream: NodeJS.ReadableStream, needles: string[]): Promise<string[]> {
  const found = new Set<string>();
  const keep = Math.max(...needles.map((n) => n.length));
  let tail = Buffer.alloc(0);
  for await (const chunk of stream) {
    const buf = Buffer.concat([tail, chunk as Buffer]);
    for (const n of needles) if (buf.includes(n)) found.add(n);
    tail = buf.subarray(Math.max(0, buf.length - keep));
  }
  return [...found];
}

function dockerSave(ref: string): NodeJS.ReadableStream {
  const child = spawn('docker', ['save', ref], { stdio: ['ignore', 'pipe', 'inherit'] });
  return child.stdout;
}

beforeAll(async () => {
  bake = await bakeWithRegistry();
  expect(bake.code, bake.stderr.slice(-3000)).toBe(0);
  const r = await upWithRegistry('secrets', runtimeCanary);
  expect(r.code, r.stderr).toBe(0);
  up = parseJson<UpJson>(r);
  upOutput = r.stdout + r.stderr;
  adminKey = (await (await fetch(up.configUrl.replace(/\/config$/, '/client.key'))).text()).trim();
  expect(adminKey).toContain('PRIVATE KEY');
});

afterAll(async () => {
  await cli(['down', '--name', 'secrets'], env);
  expect(await leftovers('secrets')).toEqual(NOTHING);
  await exec('docker', ['rmi', TAG, 'hello-app:canary']);
  rmSync(dir, { recursive: true, force: true });
});

describe('registry credentials and the admin key stay secret', () => {
  test('the image preloaded with the bake-time login runs in a pod with no pull', async () => {
    expect(bake.stderr).toContain(`pulling preload image ${PRELOAD}`);
    const logs = await runPodToCompletion(kubeBin, up.kubeconfig, {
      name: 'preloaded',
      image: PRELOAD,
      command: ['/hello-app', 'mtu'],
    });
    expect(logs).toMatch(/^lo \d+$/m);
  });

  test('no output of ours (debug on) or of the node shows a password or the key', async () => {
    const nodeLogs = await exec('docker', ['logs', up.containerId]);
    const texts = { bake: bake.stdout + bake.stderr, up: upOutput, node: nodeLogs.stdout + nodeLogs.stderr };
    expect(texts.up).toContain('docker create kind-action-secrets');
    for (const [what, text] of Object.entries(texts)) {
      for (const secret of [canary, runtimeCanary, adminKey]) {
        expect(text.includes(secret), `${what} output holds a secret`).toBe(false);
      }
    }
    expect(texts.up).toContain("the node's Docker is logged in to 127.0.0.1:5000 as run-bot");
  });

  test('the run-time password is in no argument or environment of the node (docker inspect)', async () => {
    const inspect = await execOk('docker', ['inspect', up.containerId]);
    expect(inspect).toContain('kind-action-secrets');
    expect(inspect).not.toContain(runtimeCanary);
  });

  test('a wrong run-time password: up fails naming the registry and user, not the password, and removes the node', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const r = await upWithRegistry('secrets-bad', wrong);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/registry login to 127\.0\.0\.1:5000 as run-bot failed: .*(401|unauthorized)/i);
    expect(r.stderr).not.toContain(wrong);
    expect(await leftovers('secrets-bad')).toEqual(NOTHING);
    // The kubeconfig is written only after the login: none is left naming the removed node.
    expect(existsSync(join(env.HOME ?? '', '.kube', 'kind-action-secrets-bad.yaml'))).toBe(false);
  });

  test('docker history --no-trunc and the image config hold neither password', async () => {
    const history = await execOk('docker', ['history', '--no-trunc', TAG]);
    const config = await execOk('docker', ['image', 'inspect', TAG]);
    for (const text of [history, config]) {
      expect(text).not.toContain(canary);
      expect(text).not.toContain(runtimeCanary);
    }
  });

  test('a docker save of the baked image, and the cache entry made from it, hold no secret', async () => {
    const needles = [canary, runtimeCanary, adminKey];
    expect(await streamContains(dockerSave(TAG), needles)).toEqual([]);
    // The cache entry: what the Action stores (the image's filesystem exported and
    // compressed, and its configuration in image.json).
    const client = await DockerClient.connect(
      { kind: 'socket', socketPath: '/var/run/docker.sock', source: 'the test' },
      silentLogger,
    );
    const store = new LocalDirectoryStore(join(dir, 'cache'));
    const saved = await saveImage(
      client,
      TAG,
      'secrets-test',
      { store, workDir: join(dir, 'work'), toolPath: process.env.PATH ?? '' },
      silentLogger,
    );
    expect(saved.saved, JSON.stringify(saved)).toBe(true);
    const codec = defaultCodec(process.env.PATH ?? '');
    const entry = await execOk('find', [join(dir, 'cache'), '-name', codec.file]);
    const file = entry.trim().split('\n')[0] ?? '';
    expect(statSync(file).size).toBeGreaterThan(0);
    const archive = codec.decompress(file);
    expect(await streamContains(archive.stream, needles)).toEqual([]);
    await archive.done;
    const manifest = readFileSync(join(dirname(file), MANIFEST_FILE), 'utf8');
    expect(manifest).toContain(TAG);
    for (const needle of needles) expect(manifest).not.toContain(needle);
  });

  test('kubeconfig files are 0600', () => {
    expect(statSync(up.kubeconfig).mode & 0o777).toBe(0o600);
  });
});
