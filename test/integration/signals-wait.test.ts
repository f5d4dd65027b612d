import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, hostPort, leftovers, NOTHING } from '../support/docker.js';
import { exec } from '../support/exec.js';
import { fakeNodeImage } from '../support/fake-node.js';
import { startRegistry } from '../support/registry.js';

const env = isolatedEnv();
const STALL_WAIT_MS = 60_000;

/** Resolves once the container's log matches, polling. */
async function untilLogged(id: string, pattern: RegExp): Promise<void> {
  const deadline = Date.now() + STALL_WAIT_MS;
  while (Date.now() < deadline) {
    const logs = await exec('docker', ['logs', id]);
    if (pattern.test(logs.stdout + logs.stderr)) return;
    await sleep(100);
  }
  throw new Error(`${id}: never logged ${pattern}`);
}

/**
 * Send `signal`, and SIGKILL the child if it is still running 5 s later (the
 * CLI's promise): a late exit then shows as a wrong exit code, not a timing.
 */
function interrupt(child: ChildProcess, signal: NodeJS.Signals): void {
  child.kill(signal);
  setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
}

afterAll(async () => {
  await cli(['down', '--all'], env);
  expect(await leftovers()).toEqual(NOTHING);
});

describe('interrupted up cleans up what it created', () => {
  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s while waiting → exit %i, nothing left, name reusable at once', async (signal, code) => {
    const name = `sig-${signal.toLowerCase()}`;
    let sent = false;
    const r = await cli(['up', '--name', name, '--image', fakeNodeImage('never'), '--timeout', '120s'], env, {
      onStderr: (text, child) => {
        if (!sent && text.includes('waiting for')) {
          sent = true;
          child.kill(signal);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(`${signal} received; cleaning up`);
    expect(r.stderr).toContain('removed the node container');
    expect(await leftovers(name)).toEqual(NOTHING);
    const again = await cli(['up', '--name', name, '--image', fakeNodeImage('ready')], env);
    expect(again.code, again.stderr).toBe(0);
  });

  test.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s during the image pull → exit %i, nothing created, name reusable at once',
    async (signal, code) => {
      // A registry that sends part of each layer and then stalls: the pull is
      // certainly under way when the signal comes.
      const registry = await startRegistry({
        publish: true,
        stallBlobs: true,
        random: ['stall/node:v1'],
      });
      const name = `pull-${signal.toLowerCase()}`;
      const ref = `127.0.0.1:${registry.hostPort}/stall/node:v1`;
      try {
        const r = await cli(['up', '--name', name, '--image', ref], env, {
          onSpawn: (child) => {
            void untilLogged(registry.id, /stalling .*\/blobs\//).then(() => interrupt(child, signal));
          },
        });
        expect(r.code, r.stderr).toBe(code);
        expect(r.stderr).toContain(`${signal} received; cleaning up`);
        expect(await leftovers(name)).toEqual(NOTHING);
        const again = await cli(['up', '--name', name, '--image', fakeNodeImage('ready')], env);
        expect(again.code, again.stderr).toBe(0);
      } finally {
        await registry.stop();
        await exec('docker', ['rmi', ref]);
      }
    },
  );

  test.each([
    ['SIGINT', 130, 'docker create kind-action-'],
    ['SIGTERM', 143, 'docker create kind-action-'],
    ['SIGINT', 130, 'docker start '],
    ['SIGTERM', 143, 'docker start '],
  ] as const)('%s → exit %i when sent on "%s…": the container removed', async (signal, code, line) => {
    const name = `${line.split(' ')[1]}-${signal.toLowerCase()}`;
    let sent = false;
    const r = await cli(
      ['up', '--name', name, '--image', fakeNodeImage('never'), '--timeout', '120s'],
      { ...env, KIND_ACTION_DEBUG: '1' },
      {
        onStderr: (text, child) => {
          if (!sent && text.includes(line)) {
            sent = true;
            interrupt(child, signal);
          }
        },
      },
    );
    expect(sent).toBe(true);
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).not.toContain('waiting for kind-action-');
    expect(await leftovers(name)).toEqual(NOTHING);
  });

  test('a second signal during cleanup does not cut it short', async () => {
    let sent = 0;
    const r = await cli(
      ['up', '--name', 'sig-twice', '--image', fakeNodeImage('never'), '--timeout', '120s'],
      env,
      {
        onStderr: (text, child) => {
          if (sent === 0 && text.includes('waiting for')) {
            sent = 1;
            child.kill('SIGINT');
          } else if (sent === 1 && text.includes('SIGINT received; cleaning up')) {
            sent = 2;
            child.kill('SIGINT');
          }
        },
      },
    );
    expect(r.code).toBe(130);
    expect(await leftovers('sig-twice')).toEqual(NOTHING);
  });
});

describe('wait --url: a node started by someone else (a CI service)', () => {
  test('waits, writes the kubeconfig pointed at the given host, prints JSON', async () => {
    const container = await docker.createContainer({
      Image: fakeNodeImage('slow'),
      Labels: { 'io.kind-action.managed': 'true', 'io.kind-action.cluster': 'svc' },
      HostConfig: { PortBindings: { '10080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    try {
      await container.start();
      const port = await hostPort(container.id, 10080);
      const path = join(env.HOME ?? '', 'svc.yaml');
      const r = await cli(
        ['wait', '--url', `http://127.0.0.1:${port}`, '--kubeconfig', path, '--name', 'svc', '--json'],
        env,
      );
      expect(r.code, r.stderr).toBe(0);
      const out = parseJson<{ apiServer: string; kubeconfig: string; phases: Record<string, number> }>(r);
      expect(out.apiServer).toBe('https://127.0.0.1:8443');
      expect(out.kubeconfig).toBe(path);
      expect(out.phases['kubernetes-ready']).toBeGreaterThan(0);
      const cfg = parse(await readFile(path, 'utf8'));
      expect(cfg.clusters[0].cluster.server).toBe('https://127.0.0.1:8443');
      expect(cfg['current-context']).toBe('kind-svc');
    } finally {
      await container.remove({ force: true, v: true });
    }
  });

  test('a service that never gets ready: timeout with its reason', async () => {
    const container = await docker.createContainer({
      Image: fakeNodeImage('never'),
      Labels: { 'io.kind-action.managed': 'true', 'io.kind-action.cluster': 'svc-never' },
      HostConfig: { PortBindings: { '10080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
    });
    try {
      await container.start();
      const port = await hostPort(container.id, 10080);
      const r = await cli(['wait', '--url', `http://127.0.0.1:${port}`, '--timeout', '2s'], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /timed out waiting for kubernetes-ready; last reason: kubernetes-ready: coredns: 0 ready pods/,
      );
    } finally {
      await container.remove({ force: true, v: true });
    }
  });
});
