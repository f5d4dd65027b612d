import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { parse } from 'yaml';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import { CLI, cli, isolatedEnv, parseJson } from '../support/cli.js';
import { hostPort, leftovers, NOTHING, snapshot } from '../support/docker.js';
import { exec } from '../support/exec.js';
import { kubectlOk } from '../support/kubectl.js';

const kubeBin = inject('kubeBin');
const image = inject('nodeImage');
const env = isolatedEnv();

const CYCLES = 20;
const PARALLEL = 5;

afterAll(async () => {
  await cli(['down', '--all'], env);
  expect(await leftovers()).toEqual(NOTHING);
});

async function upJson(name: string, extra: string[] = []): Promise<UpJson> {
  const r = await cli(['up', '--name', name, '--image', image, '--timeout', '300s', '--json', ...extra], env);
  expect(r.code, `${name}: ${r.stderr}`).toBe(0);
  return parseJson<UpJson>(r);
}

async function kubernetesReady(up: UpJson): Promise<number> {
  return (await fetch(up.configUrl.replace(/\/config$/, '/kubernetes-ready'))).status;
}

describe(`endurance: ${CYCLES} up/down cycles on one daemon`, () => {
  test('every cycle is ready, and the daemon is left exactly as it was', async () => {
    const before = await snapshot();
    const ready: number[] = [];
    for (let i = 0; i < CYCLES; i++) {
      const up = await upJson('cycle');
      ready.push(await kubernetesReady(up));
      const down = await cli(['down', '--name', 'cycle'], env);
      expect(down.code, down.stderr).toBe(0);
    }
    expect(ready).toEqual(Array(CYCLES).fill(200));
    expect(await snapshot()).toEqual(before);
    process.stdout.write(`endurance: ${CYCLES} cycles, all ready, daemon unchanged\n`);
  });
});

/** Another process holding a loopback port for the test's duration. */
async function holdPort(): Promise<{ port: number; release: () => void }> {
  const child = spawn(process.execPath, [
    '-e',
    "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port))",
  ]);
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    child.once('error', reject);
  });
  return { port, release: () => child.kill() };
}

describe(`parallel: ${PARALLEL} clusters started at once on one daemon`, () => {
  test('all ready, each kubeconfig names its own published port, no cross-talk', async () => {
    const held = await holdPort();
    try {
      const names = Array.from({ length: PARALLEL }, (_, i) => `par-${i}`);
      const ups = await Promise.all(names.map((n) => upJson(n)));
      const ports = await Promise.all(ups.map((u) => hostPort(u.containerId, 8443)));
      expect(new Set(ports).size).toBe(PARALLEL);
      expect(ports).not.toContain(held.port);
      const cas = new Set<string>();
      for (const [i, up] of ups.entries()) {
        const cfg = parse(readFileSync(up.kubeconfig, 'utf8'));
        expect(cfg.clusters[0].cluster.server).toBe(`https://127.0.0.1:${ports[i]}`);
        const ca = Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64');
        cas.add(new X509Certificate(ca).fingerprint256);
        await kubectlOk(kubeBin, up.kubeconfig, [
          'create',
          'configmap',
          'owner',
          `--from-literal=name=${up.name}`,
        ]);
      }
      expect(cas.size).toBe(PARALLEL);
      // Each cluster holds only what was written through its own kubeconfig.
      for (const up of ups) {
        const owner = await kubectlOk(kubeBin, up.kubeconfig, [
          'get',
          'configmap',
          'owner',
          '-o',
          'jsonpath={.data.name}',
        ]);
        expect(owner).toBe(up.name);
      }
      process.stdout.write(`parallel: ${PARALLEL} clusters ready at once, ports ${ports.join(', ')}\n`);
    } finally {
      held.release();
    }
    for (let i = 0; i < PARALLEL; i++) expect((await cli(['down', '--name', `par-${i}`], env)).code).toBe(0);
  });
});

describe('address families: localhost resolving to ::1 first', () => {
  test('readiness and kubectl work, and no kubeconfig we write says localhost', async () => {
    const hosts = `${env.HOME}/hosts`;
    writeFileSync(hosts, '::1 localhost ip6-localhost\n127.0.0.1 localhost\n');
    const kubeconfig = `${env.HOME}/v6.yaml`;
    // A private mount namespace: only this process tree sees the changed /etc/hosts.
    const script = [
      'set -e',
      `mount --bind ${hosts} /etc/hosts`,
      `"${process.execPath}" -e "require('dns').lookup('localhost',(e,a)=>console.log('localhost=' + a))"`,
      `"${process.execPath}" ${CLI} up --name v6 --image ${image} --kubeconfig ${kubeconfig} --json > ${env.HOME}/v6.json`,
      `${kubeBin}/kubectl --kubeconfig ${kubeconfig} get nodes --no-headers`,
    ].join('\n');
    const r = await exec('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('localhost=::1');
    expect(r.stdout).toMatch(/\sReady\s/);
    const up = JSON.parse(readFileSync(`${env.HOME}/v6.json`, 'utf8')) as UpJson;
    for (const text of [readFileSync(kubeconfig, 'utf8'), JSON.stringify(up)]) {
      expect(text).not.toContain('localhost');
    }
    expect((await cli(['down', '--name', 'v6'], env)).code).toBe(0);
  });
});
