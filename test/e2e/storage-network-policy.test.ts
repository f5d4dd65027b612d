import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import type { UpResult } from '../../src/core/cluster/up.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { leftovers, NOTHING } from '../support/docker.js';
import { execOk } from '../support/exec.js';
import { buildHelloApp } from '../support/hello-app.js';
import { kubectlOk } from '../support/kubectl.js';

/**
 * What a cluster of kind, k3d or minikube has and a switch must not lose: a
 * default StorageClass with dynamic provisioning, and NetworkPolicy enforced.
 */
const kubeBin = inject('kubeBin');
const image = inject('nodeImage');
const env = isolatedEnv();
const NAME = 'addons';
const APP = 'hello-app:addons';
let up: UpResult;

const k = (args: string[], input?: string) => kubectlOk(kubeBin, up.kubeconfig, args, input);

/** A pod of the hello-app image, never pulled, with optional labels and one volume. */
function pod(name: string, command: string[], opts: { labels?: Record<string, string>; claim?: string }) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: opts.labels ?? {} },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'app',
          image: APP,
          imagePullPolicy: 'Never',
          command: ['/hello-app', ...command],
          ...(opts.claim ? { volumeMounts: [{ name: 'data', mountPath: '/data' }] } : {}),
        },
      ],
      ...(opts.claim
        ? { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: opts.claim } }] }
        : {}),
    },
  });
}

beforeAll(async () => {
  const r = await cli(['up', '--name', NAME, '--image', image, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  up = parseJson<UpResult>(r);
  await buildHelloApp(up.dockerHost, APP);
});

afterAll(async () => {
  await cli(['down', '--name', NAME], env);
  expect(await leftovers(NAME)).toEqual(NOTHING);
});

describe('storage', () => {
  test('standard is the default StorageClass; a claim binds, one pod writes and another reads it back', async () => {
    const isDefault = await k([
      'get',
      'storageclass',
      'standard',
      '-o',
      'jsonpath={.metadata.annotations.storageclass\\.kubernetes\\.io/is-default-class}',
    ]);
    expect(isDefault).toBe('true');
    // no storageClassName: the default class serves it
    const claim = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
    };
    await k(['apply', '-f', '-'], JSON.stringify(claim));
    await k(
      ['apply', '-f', '-'],
      pod('writer', ['write', '/data/msg', 'kept across pods'], { claim: 'data' }),
    );
    await k(['wait', 'pod/writer', '--for=jsonpath={.status.phase}=Succeeded', '--timeout=120s']);
    expect(await k(['get', 'pvc', 'data', '-o', 'jsonpath={.status.phase} {.spec.storageClassName}'])).toBe(
      'Bound standard',
    );
    await k(['delete', 'pod', 'writer', '--wait=true']);
    await k(['apply', '-f', '-'], pod('reader', ['cat', '/data/msg'], { claim: 'data' }));
    await k(['wait', 'pod/reader', '--for=jsonpath={.status.phase}=Succeeded', '--timeout=120s']);
    expect(await k(['logs', 'reader'])).toBe('/data/msg: kept across pods');

    // reclaim policy Delete: the volume goes with its claim
    const pv = await k(['get', 'pvc', 'data', '-o', 'jsonpath={.spec.volumeName}']);
    expect(pv).not.toBe('');
    await k(['delete', 'pod', 'reader', '--wait=true']);
    await k(['delete', 'pvc', 'data', '--wait=true']);
    await k(['wait', `pv/${pv}`, '--for=delete', '--timeout=120s']);
  });

  test('the provisioner helper image is in the node, pinned against image garbage collection', async () => {
    const ref = (
      await k([
        'get',
        'configmap',
        'local-path-config',
        '-n',
        'local-path-storage',
        '-o',
        'jsonpath={.data.helperPod\\.yaml}',
      ])
    ).match(/image: (\S+)/)?.[1];
    expect(ref).toBeTruthy();
    const labels = await execOk('docker', [
      'exec',
      up.containerId,
      'ctr',
      '--namespace',
      'k8s.io',
      'images',
      'ls',
      `name==${ref}`,
    ]);
    expect(labels).toContain('io.cri-containerd.pinned=pinned');
  });
});

describe('NetworkPolicy', () => {
  /** The client's view of the server, polled until it is `want` (policies apply asynchronously). */
  async function reachability(url: string, want: 'open' | 'blocked'): Promise<string> {
    let last = '';
    for (let i = 0; i < 30; i++) {
      last = await k(['exec', 'client', '--', '/hello-app', 'probe', url]);
      if (last.startsWith(want)) return last;
    }
    return last;
  }

  test('a default-deny policy blocks a pod-to-pod request that succeeds without it; an allow rule opens it', async () => {
    await k(['apply', '-f', '-'], pod('server', ['serve'], { labels: { app: 'server' } }));
    await k(['apply', '-f', '-'], pod('client', ['serve'], { labels: { role: 'client' } }));
    await k(['wait', 'pod/server', 'pod/client', '--for=condition=Ready', '--timeout=120s']);
    const ip = await k(['get', 'pod', 'server', '-o', 'jsonpath={.status.podIP}']);
    const url = `http://${ip}:8080/`;

    expect(await reachability(url, 'open')).toMatch(/^open: HTTP 200 hello from server/);

    const policy = (name: string, ingress: object[]) =>
      JSON.stringify({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name },
        spec: { podSelector: {}, policyTypes: ['Ingress'], ingress },
      });
    await k(['apply', '-f', '-'], policy('default-deny', []));
    expect(await reachability(url, 'blocked')).toMatch(/^blocked: /);

    await k(
      ['apply', '-f', '-'],
      policy('allow-clients', [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }]),
    );
    expect(await reachability(url, 'open')).toMatch(/^open: HTTP 200 hello from server/);
  });
});
