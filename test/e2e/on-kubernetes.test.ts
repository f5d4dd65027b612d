import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { PodUpResult } from '../../src/core/host-cluster/up.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { buildHelloApp } from '../support/hello-app.js';
import { kubectl, kubectlOk, nodesReady, runPodToCompletion } from '../support/kubectl.js';
import { copyImage, nodeDocker } from '../support/nested-host.js';

/**
 * The node as a pod on an existing cluster (`up --host-kubeconfig`). The host
 * cluster is one of our own nodes, on a Docker network of MTU 1400 (a pod
 * network smaller than Ethernet, as on overlay networks), with the node image
 * loaded into its image store, so its kubelet "pulls" it locally.
 */
const kubeBin = inject('kubeBin');
const image = inject('nodeImage');
const env = isolatedEnv();
const NETWORK = 'kind-action-podhost-net';
const LABELLED = 'io.kind-action.managed=true';
let host: { kubeconfig: string; dockerHost: string };

/** What the tool made in the host cluster, every namespace: pods, services, secrets, configmaps. */
async function inHost(): Promise<string> {
  const out = await kubectlOk(kubeBin, host.kubeconfig, [
    'get',
    'pods,services,secrets,configmaps',
    '--all-namespaces',
    '-l',
    LABELLED,
    '-o',
    'name',
  ]);
  return out.trim();
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  return typeof address === 'object' && address ? address.port : 0;
}

beforeAll(async () => {
  await docker.createNetwork({
    Name: NETWORK,
    Options: { 'com.docker.network.driver.mtu': '1400' },
    Labels: { 'io.kind-action.managed': 'true', 'io.kind-action.cluster': 'podhost' },
  });
  const r = await cli(['up', '--name', 'podhost', '--image', image, '--network', NETWORK, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  host = parseJson(r);
  await copyImage(nodeDocker(host.dockerHost), image);
});

afterAll(async () => {
  const r = await cli(['down', '--name', 'podhost'], env);
  expect(r.code).toBe(0);
  expect(await leftovers('podhost')).toEqual(NOTHING);
});

describe('refused with a clear error, nothing left behind', () => {
  test('a host kubeconfig that reaches no cluster → exit 2 naming --host-kubeconfig', async () => {
    const port = await closedPort();
    const cfg = readFileSync(host.kubeconfig, 'utf8').replace(
      /server: https:\/\/[^\s]+/,
      `server: https://127.0.0.1:${port}`,
    );
    const file = join(env.HOME ?? '', 'unreachable.yaml');
    writeFileSync(file, cfg, { mode: 0o600 });
    const r = await cli(['up', '--name', 'never', '--image', image, '--host-kubeconfig', file], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `--host-kubeconfig: cannot reach the host cluster's API server at https://127.0.0.1:${port} \\(ECONNREFUSED\\)`,
      ),
    );
    expect(await inHost()).toBe('');
    expect(existsSync(join(env.HOME ?? '', '.kube', 'kind-action-never.yaml'))).toBe(false);
  });

  test('a namespace that does not exist → exit 2 naming --namespace', async () => {
    const r = await cli(
      [
        'up',
        '--name',
        'never',
        '--image',
        image,
        '--host-kubeconfig',
        host.kubeconfig,
        '--namespace',
        'no-such-ns',
      ],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--namespace: namespace "no-such-ns" does not exist on the host cluster/);
    expect(await inHost()).toBe('');
  });

  test('a namespace whose Pod Security enforce level is baseline → exit 2 naming the level it needs', async () => {
    await kubectlOk(kubeBin, host.kubeconfig, ['create', 'namespace', 'psa-baseline']);
    await kubectlOk(kubeBin, host.kubeconfig, [
      'label',
      'namespace',
      'psa-baseline',
      'pod-security.kubernetes.io/enforce=baseline',
    ]);
    const r = await cli(
      [
        'up',
        '--name',
        'never',
        '--image',
        image,
        '--host-kubeconfig',
        host.kubeconfig,
        '--namespace',
        'psa-baseline',
      ],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--namespace: namespace "psa-baseline" enforces Pod Security level "baseline"/);
    expect(r.stderr).toMatch(/needs the Pod Security level "privileged"/);
    expect(await inHost()).toBe('');
  });

  test('an image the host cannot pull → exit 2 quoting the pull event', async () => {
    const port = await closedPort();
    const ref = `127.0.0.1:${port}/nope/node:v0`;
    const r = await cli(
      ['up', '--name', 'nopull', '--image', ref, '--host-kubeconfig', host.kubeconfig, '--timeout', '120s'],
      env,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the host cluster cannot pull its image: ImagePullBackOff');
    expect(r.stderr).toMatch(
      new RegExp(`event Failed: "Failed to pull image \\\\?"${ref.replace(/\./g, '\\.')}`),
    );
    expect(await inHost()).toBe('');
  });

  test('down removes a retained failed node (pod and Service) and leaves nothing in the host cluster', async () => {
    // --retain keeps the pod of a start that did not finish; then down must find it by label.
    const r = await cli(
      [
        'up',
        '--name',
        'kept',
        '--image',
        image,
        '--host-kubeconfig',
        host.kubeconfig,
        '--wait-for',
        'none',
        '--retain',
      ],
      env,
    );
    const made = await inHost();
    const down = await cli(['down', '--name', 'kept', '--host-kubeconfig', host.kubeconfig, '--json'], env);
    expect(down.code, down.stderr).toBe(0);
    const removed = parseJson<{ pods: number; services: number }>(down);
    expect(await inHost()).toBe('');
    // Something was there to remove: the Service at least, whatever became of the pod.
    expect(made, r.stderr).toContain('service/kind-action-kept');
    expect(removed.services).toBe(1);
  });
});

describe('a second node as a pod of the host cluster', () => {
  let inner: PodUpResult;

  test('up --host-kubeconfig: the pod becomes Ready, reached through a port-forward', async () => {
    const r = await cli(
      [
        'up',
        '--name',
        'inner',
        '--image',
        image,
        '--host-kubeconfig',
        host.kubeconfig,
        '--timeout',
        '150s',
        '--json',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    inner = parseJson<PodUpResult>(r);
    expect(inner.access).toBe('port-forward');
    expect(inner.apiServer).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(inner.serviceApiServer).toBe('https://kind-action-inner.default.svc:8443');
    expect(await nodesReady(kubeBin, inner.kubeconfig)).toBe('True');
  }, 290_000);

  test('status and logs --host-kubeconfig see it', async () => {
    const s = await cli(['status', '--host-kubeconfig', host.kubeconfig, '--json'], env);
    expect(s.code, s.stderr).toBe(0);
    const list = parseJson<{ name: string; ready?: boolean }[]>(s);
    expect(list.find((c) => c.name === 'inner')?.ready).toBe(true);
    const l = await cli(
      ['logs', '--name', 'inner', '--host-kubeconfig', host.kubeconfig, '--tail', '20'],
      env,
    );
    expect(l.code, l.stderr).toBe(0);
    expect(l.stdout.trim().split('\n').length).toBeGreaterThan(0);
  });

  test('from a pod in the host cluster, a kubeconfig naming the inner node’s Service lists the node Ready', async () => {
    const cfg = readFileSync(inner.kubeconfig, 'utf8').replace(inner.apiServer, inner.serviceApiServer);
    const file = join(env.HOME ?? '', 'inner-in-cluster.yaml');
    writeFileSync(file, cfg, { mode: 0o600 });
    await kubectlOk(kubeBin, host.kubeconfig, [
      'create',
      'configmap',
      'inner-kubeconfig',
      `--from-file=config=${file}`,
    ]);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'inner-client' },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'kubectl',
            image,
            imagePullPolicy: 'Never',
            command: [
              '/kind/bin/kubectl',
              '--kubeconfig',
              '/cfg/config',
              'get',
              'nodes',
              '-o',
              'jsonpath={.items[*].status.conditions[?(@.type=="Ready")].status}',
            ],
            volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }],
          },
        ],
        volumes: [{ name: 'cfg', configMap: { name: 'inner-kubeconfig' } }],
      },
    };
    await kubectlOk(kubeBin, host.kubeconfig, ['apply', '-f', '-'], JSON.stringify(pod));
    await kubectlOk(kubeBin, host.kubeconfig, [
      'wait',
      'pod/inner-client',
      '--for=jsonpath={.status.phase}=Succeeded',
      '--timeout=120s',
    ]);
    expect((await kubectlOk(kubeBin, host.kubeconfig, ['logs', 'inner-client'])).trim()).toBe('True');
    await kubectl(kubeBin, host.kubeconfig, [
      'delete',
      'pod/inner-client',
      'configmap/inner-kubeconfig',
      '--wait=false',
    ]);
  });

  test('an image built against the inner node’s Docker runs there, with the pod network’s MTU', async () => {
    await buildHelloApp(inner.dockerHost, 'hello-app:inner');
    const logs = await runPodToCompletion(kubeBin, inner.kubeconfig, {
      name: 'mtu',
      image: 'hello-app:inner',
      command: ['/hello-app', 'mtu'],
    });
    const eth0 = /^eth0 (\d+)$/m.exec(logs);
    expect(eth0, logs).not.toBeNull();
    // The host's pod network is 1400: the inner node took it from its interface.
    expect(Number(eth0?.[1])).toBeLessThanOrEqual(1400);
  });

  test('down --host-kubeconfig removes the pod, the Service and the forwarder; the host cluster has nothing of it', async () => {
    const records = join(env.XDG_CACHE_HOME ?? '', 'kind-action', 'forwarders');
    const [file] = readdirJson(records);
    expect(file, 'a forwarder record from up').toBeDefined();
    const recorded = readFileSync(join(records, file ?? ''), 'utf8');
    const pid = (JSON.parse(recorded) as { pid: number }).pid;
    expect(alive(pid)).toBe(true);
    const r = await cli(['down', '--name', 'inner', '--host-kubeconfig', host.kubeconfig, '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const result = parseJson<{ pods: number; services: number; forwarders: number; kubeconfigs: string[] }>(
      r,
    );
    expect(result).toMatchObject({ pods: 1, services: 1, forwarders: 1, kubeconfigs: [inner.kubeconfig] });
    expect(await inHost()).toBe('');
    expect(existsSync(inner.kubeconfig)).toBe(false);
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((res) => setTimeout(res, 100));
    expect(alive(pid)).toBe(false);
    expect(readdirJson(records)).toEqual([]);
  });
});

function readdirJson(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : [];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
