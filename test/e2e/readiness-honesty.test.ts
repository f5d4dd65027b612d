import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { execOk } from '../support/exec.js';
import { kubectlOk } from '../support/kubectl.js';

const kubeBin = inject('kubeBin');
const image = inject('nodeImage');
const env = isolatedEnv();
let up: UpJson;
let readyUrl: string;
let nodeName: string;
/** The API's whole /readyz, asked the moment `up` returned. */
let readyzAtUp: string;

beforeAll(async () => {
  const r = await cli(['up', '--name', 'honest', '--image', image, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  up = parseJson<UpJson>(r);
  readyzAtUp = await kubectl(['get', '--raw', '/readyz?verbose']);
  readyUrl = up.configUrl.replace(/\/config$/, '');
  nodeName = (await kubectl(['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
});

afterAll(async () => {
  await cli(['down', '--name', 'honest'], env);
  expect(await leftovers('honest')).toEqual(NOTHING);
});

function kubectl(args: string[]): Promise<string> {
  return kubectlOk(kubeBin, up.kubeconfig, args);
}

/** The node's own answer, polled until it is the one expected (or 90 s pass). */
async function untilReadiness(ok: boolean): Promise<string> {
  let body = '';
  for (let i = 0; i < 360; i++) {
    const res = await fetch(`${readyUrl}/kubernetes-ready`).catch(() => undefined);
    body = res ? await res.text() : 'no answer';
    if (res && (res.status === 200) === ok) return body;
    await sleep(250);
  }
  throw new Error(`/kubernetes-ready never became ${ok ? 'ready' : 'not ready'}; last: ${body}`);
}

/** `kind-action wait` as a CI job runs it against a service. */
function waitCli(timeout: string) {
  return cli(['wait', '--url', readyUrl, '--timeout', timeout, '--kubeconfig', `${env.HOME}/wait.yaml`], env);
}

async function nodeExec(cmd: string[]): Promise<string> {
  return execOk('docker', ['exec', up.containerId, ...cmd]);
}

describe('ready at start means all of it', () => {
  // The components reach the API before its bootstrap hooks for RBAC and
  // priority classes finish (a baked etcd has those objects); readiness
  // still waits for them.
  test('the whole /readyz passes, bootstrap hooks included, when up returns', () => {
    expect(readyzAtUp).toMatch(/\[\+\]poststarthook\/rbac\/bootstrap-roles ok/);
    expect(readyzAtUp).toMatch(/\[\+\]poststarthook\/scheduling\/bootstrap-system-priority-classes ok/);
    expect(readyzAtUp).toMatch(/readyz check passed/);
  });

  test("the baked CoreDNS pod mounted this start's CA, not the bake's", async () => {
    const ca = (await (await fetch(`${readyUrl}/ca.crt`)).text()).trim();
    const uid = (
      await kubectl([
        '-n',
        'kube-system',
        'get',
        'pods',
        '-l',
        'k8s-app=kube-dns',
        '-o',
        'jsonpath={.items[0].metadata.uid}',
      ])
    ).trim();
    const mounted = await nodeExec([
      'sh',
      '-c',
      `cat /var/lib/kubelet/pods/${uid}/volumes/kubernetes.io~projected/*/ca.crt`,
    ]);
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(mounted.trim()).toBe(ca);
  });
});

describe('readiness is re-checked, never a latch: each broken check fails wait by name', () => {
  test.each<[string, () => Promise<unknown>, RegExp, () => Promise<unknown>]>([
    [
      'CoreDNS scaled to 0',
      () => kubectl(['-n', 'kube-system', 'scale', 'deployment/coredns', '--replicas=0']),
      /last reason: kubernetes-ready: coredns: no CoreDNS pod became ready since this start/,
      () => kubectl(['-n', 'kube-system', 'scale', 'deployment/coredns', '--replicas=1']),
    ],
    [
      'the node tainted NoSchedule',
      () => kubectl(['taint', 'node', nodeName, 'honesty-test=1:NoSchedule']),
      /last reason: kubernetes-ready: node: node has taint honesty-test:NoSchedule/,
      () => kubectl(['taint', 'node', nodeName, 'honesty-test=1:NoSchedule-']),
    ],
    [
      // The controller-manager recreates it within milliseconds; paused, it cannot.
      'the default ServiceAccount deleted',
      async () => {
        await nodeExec(['pkill', '-STOP', '-x', 'kube-controller']);
        await kubectl(['-n', 'default', 'delete', 'serviceaccount', 'default']);
      },
      /last reason: kubernetes-ready: serviceaccount: /,
      () => nodeExec(['pkill', '-CONT', '-x', 'kube-controller']),
    ],
  ])('%s', async (_what, breakIt, reason, repair) => {
    expect((await waitCli('60s')).code).toBe(0);
    await breakIt();
    try {
      await untilReadiness(false);
      const r = await waitCli('5s');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(reason);
    } finally {
      await repair();
    }
    await untilReadiness(true);
    const again = await waitCli('120s');
    expect(again.code, again.stderr).toBe(0);
  });
});

describe('the node process tree', () => {
  test('no zombie processes in a running node', async () => {
    const states = await nodeExec(['ps', '-e', '-o', 'stat=,comm=']);
    const zombies = states.split('\n').filter((l) => /^Z/.test(l.trim()));
    expect(states.split('\n').length).toBeGreaterThan(10);
    expect(zombies).toEqual([]);
  });

  test('docker restart: the same node becomes ready again, with a fresh heartbeat', async () => {
    await docker.getContainer(up.containerId).restart({ t: 10 });
    // Published host ports may change on restart: read them again.
    readyUrl = `http://127.0.0.1:${await port(10080)}`;
    const kubeconfig = `${env.HOME}/restarted.yaml`;
    const r = await cli(
      [
        'wait',
        '--url',
        readyUrl,
        '--api-server',
        `https://127.0.0.1:${await port(8443)}`,
        '--kubeconfig',
        kubeconfig,
        '--timeout',
        '180s',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    // A fresh CA at every start: the new kubeconfig verifies against this start's.
    const nodes = await kubectlOk(kubeBin, kubeconfig, ['get', 'nodes', '--no-headers']);
    expect(nodes).toMatch(/\sReady\s/);
  });
});

async function port(nodePort: number): Promise<number> {
  const info = await docker.getContainer(up.containerId).inspect();
  return Number(info.NetworkSettings.Ports[`${nodePort}/tcp`]?.[0]?.HostPort);
}
