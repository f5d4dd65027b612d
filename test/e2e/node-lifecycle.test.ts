import { X509Certificate } from 'node:crypto';
import { afterAll, describe, expect, inject, test } from 'vitest';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { execOk } from '../support/exec.js';

const image = inject('nodeImage');
const env = isolatedEnv();

async function start(name: string): Promise<UpJson> {
  const r = await cli(['up', '--name', name, '--image', image, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  return parseJson<UpJson>(r);
}

async function caFingerprint(up: UpJson): Promise<string> {
  const pem = await (await fetch(up.configUrl.replace(/\/config$/, '/ca.crt'))).text();
  return new X509Certificate(pem).fingerprint256;
}

afterAll(async () => {
  await cli(['down', '--name', 'ca-a'], env);
  await cli(['down', '--name', 'ca-b'], env);
  expect(await leftovers('ca-a')).toEqual(NOTHING);
  expect(await leftovers('ca-b')).toEqual(NOTHING);
});

describe('each start of one baked image', () => {
  test('gets its own cluster CA; docker stop ends the node by itself, not by a kill', async () => {
    const [a, b] = await Promise.all([start('ca-a'), start('ca-b')]);
    const [fa, fb] = await Promise.all([caFingerprint(a), caFingerprint(b)]);
    expect(fa).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(fa).not.toBe(fb);

    // docker stop sends SIGTERM and kills after 10 s; exit code 0 means the
    // node shut itself down within that budget (137 would be the kill).
    await docker.getContainer(a.containerId).stop({ t: 10 });
    const state = (await docker.getContainer(a.containerId).inspect()).State;
    expect(state.Running).toBe(false);
    expect(state.ExitCode).toBe(0);
    expect(state.OOMKilled).toBe(false);
  });
});

describe('the baked image carries each part once', () => {
  test('no CoreDNS binary beside its image; etcd data without preallocated or free space', async () => {
    const out = await execOk('docker', [
      'run',
      '--rm',
      '--entrypoint',
      'sh',
      image,
      '-c',
      'ls /kind/bin; ls -d /kind/bake 2>/dev/null; stat -c "%n %s" /var/lib/etcd/member/wal/*.wal /var/lib/etcd/member/snap/db',
    ]);
    const bin = out.split('\n').filter((l) => l && !l.includes(' '));
    expect(bin).toContain('kind-agent');
    // CoreDNS runs from the node's image store (each start waits for its pod);
    // the binary was only an input of the bake.
    expect(bin).not.toContain('coredns');
    // ...copied into the bootstrap container and deleted before the commit.
    expect(out).not.toContain('/kind/bake');
    const sizes = Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.startsWith('/var/lib/etcd'))
        .map((l) => [l.includes('/wal/') ? 'wal' : 'db', Number(l.split(' ')[1])]),
    );
    // etcd preallocates 64 MB per WAL segment; the bake cuts it after the last record.
    expect(sizes.wal).toBeGreaterThan(0);
    expect(sizes.wal).toBeLessThan(64_000_000);
    // The bolt file is defragmented before the commit.
    expect(sizes.db).toBeGreaterThan(0);
    expect(sizes.db).toBeLessThan(8 * 1024 * 1024);
  });
});
