import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CoreV1Event, V1Pod } from '@kubernetes/client-node';
import { describe, expect, test } from 'vitest';
import { FALLBACK_CAP_DROP } from '../../src/core/cluster/create-options.js';
import { NODE_PORT } from '../../src/core/cluster/ports.js';
import {
  HostClusterApiError,
  HostClusterUnreachableError,
  ImageNotFoundError,
  NamespaceNotFoundError,
  PodSecurityError,
} from '../../src/core/errors.js';
import { accessKind, forwardedEndpoints } from '../../src/core/host-cluster/access.js';
import { apiError } from '../../src/core/host-cluster/errors.js';
import { ForwarderRecords, isForwarderProcess } from '../../src/core/host-cluster/forwarder-records.js';
import { podImage } from '../../src/core/host-cluster/image.js';
import {
  labelSelector,
  NODE_CONTAINER,
  nodePod,
  nodeService,
  type PodNodeSpec,
  serviceNames,
} from '../../src/core/host-cluster/pod-spec.js';
import { describeFailure, explainingEvent, podOutcome } from '../../src/core/host-cluster/pod-state.js';
import { podExpiry } from '../../src/core/host-cluster/reap.js';
import { ENFORCE_LABEL, namespaceRefusal } from '../../src/core/host-cluster/start.js';
import { LABEL } from '../../src/core/labels.js';
import { VERSION } from '../../src/core/version.js';

const BASE: PodNodeSpec = {
  cluster: 'ci',
  session: 'abc123',
  namespace: 'jobs',
  image: 'registry.example/node:v1.37.2',
  privilege: 'privileged',
  env: { KIND_EXTRA_SANS: 'kind-action-ci.jobs.svc' },
};

const container = (spec: PodNodeSpec) => nodePod(spec).spec?.containers[0];

describe('the node pod (pure builder)', () => {
  test.each([
    ['privileged', { privileged: true }, ['docker', 'run']],
    [
      'fallback',
      {
        privileged: false,
        capabilities: { add: ['ALL'], drop: FALLBACK_CAP_DROP },
        seccompProfile: { type: 'Unconfined' },
        appArmorProfile: { type: 'Unconfined' },
      },
      ['docker', 'run', 'kmsg', 'cgroup'],
    ],
  ] as const)('%s mode: security context and volumes', (privilege, security, volumes) => {
    const pod = nodePod({ ...BASE, privilege });
    expect(container({ ...BASE, privilege })?.securityContext).toEqual(security);
    expect(pod.spec?.volumes?.map((v) => v.name)).toEqual(volumes);
    expect(container({ ...BASE, privilege })?.volumeMounts?.map((m) => m.name)).toEqual(volumes);
  });

  test.each([
    ['/var/lib/docker on an emptyDir (no overlay on overlay)', 'docker', '/var/lib/docker', { emptyDir: {} }],
    [
      '/run on a memory emptyDir (the tmpfs of the Docker path)',
      'run',
      '/run',
      { emptyDir: { medium: 'Memory' } },
    ],
  ])('%s', (_, name, path, source) => {
    const pod = nodePod(BASE);
    expect(pod.spec?.volumes?.find((v) => v.name === name)).toEqual({ name, ...source });
    expect(container(BASE)?.volumeMounts).toContainEqual({ name, mountPath: path });
  });

  test.each([
    ['no TTL, no kubeconfig', {}, {}],
    ['a TTL: its expiry as an annotation', { expiresAt: 1_900_000_000 }, { [LABEL.expires]: '1900000000' }],
    [
      'the kubeconfig path (no label value): an annotation',
      { kubeconfig: '/h/.kube/x.yaml' },
      { [LABEL.kubeconfig]: '/h/.kube/x.yaml' },
    ],
  ])('%s', (_, extra, annotations) => {
    const pod = nodePod({ ...BASE, ...extra });
    expect(pod.metadata?.annotations).toEqual(annotations);
    expect(pod.metadata?.labels).toEqual({
      [LABEL.managed]: 'true',
      [LABEL.cluster]: 'ci',
      [LABEL.session]: 'abc123',
      [LABEL.version]: VERSION,
    });
  });

  test('same image, the env given, the three node ports, no host credentials, never restarted', () => {
    const pod = nodePod(BASE);
    const c = container(BASE);
    expect(pod.metadata?.name).toBe('kind-action-ci');
    expect(pod.metadata?.namespace).toBe('jobs');
    expect(c?.name).toBe(NODE_CONTAINER);
    expect(c?.image).toBe(BASE.image);
    expect(c?.env).toEqual([{ name: 'KIND_EXTRA_SANS', value: 'kind-action-ci.jobs.svc' }]);
    expect(c?.ports?.map((p) => p.containerPort).sort()).toEqual(Object.values(NODE_PORT).sort());
    expect(pod.spec?.automountServiceAccountToken).toBe(false);
    expect(pod.spec?.restartPolicy).toBe('Never');
    expect(pod.spec?.hostname).toBe('ci-control-plane');
    // Not the host cluster's DNS Service, whose address may lie in the node's own Service range.
    expect(pod.spec?.dnsPolicy).toBe('Default');
  });

  test('every label key and value is one Kubernetes accepts', () => {
    const labels = nodePod({ ...BASE, expiresAt: 1 }).metadata?.labels ?? {};
    for (const [k, v] of Object.entries(labels)) {
      expect(k).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/);
      expect(v).toMatch(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/);
    }
  });
});

describe('the node Service', () => {
  test('selects this session’s pod and exposes the node ports by name', () => {
    const svc = nodeService(BASE);
    expect(svc.metadata?.name).toBe('kind-action-ci');
    expect(svc.spec?.type).toBe('ClusterIP');
    expect(svc.spec?.selector).toEqual({ [LABEL.cluster]: 'ci', [LABEL.session]: 'abc123' });
    expect(svc.spec?.ports?.map((p) => [p.name, p.port, p.targetPort])).toEqual(
      Object.entries(NODE_PORT).map(([n, p]) => [n, p, p]),
    );
  });

  test.each([
    [undefined, 4],
    ['None', 4],
    ['10.96.0.9', 5],
  ])('certificate names with cluster IP %s', (ip, count) => {
    const names = serviceNames('ci', 'jobs', ip);
    expect(names).toHaveLength(count);
    expect(names).toContain('kind-action-ci.jobs.svc');
    if (count === 5) expect(names).toContain(ip);
  });

  test.each([
    [undefined, `${LABEL.managed}=true`],
    ['ci', `${LABEL.managed}=true,${LABEL.cluster}=ci`],
  ])('label selector for %s', (cluster, selector) => {
    expect(labelSelector(cluster)).toBe(selector);
  });
});

const ns = (labels?: Record<string, string>) => ({
  metadata: { name: 'jobs', ...(labels ? { labels } : {}) },
});

describe('namespace refusals before anything is made', () => {
  test.each([
    ['missing', undefined, NamespaceNotFoundError, /does not exist/],
    [
      'enforce=baseline',
      ns({ [ENFORCE_LABEL]: 'baseline' }),
      PodSecurityError,
      /enforces Pod Security level "baseline".*needs the Pod Security level "privileged"/,
    ],
    ['enforce=restricted', ns({ [ENFORCE_LABEL]: 'restricted' }), PodSecurityError, /"restricted"/],
  ] as const)('%s → refused', (_, namespace, type, message) => {
    const err = namespaceRefusal('jobs', namespace);
    expect(err).toBeInstanceOf(type);
    expect(err?.message).toMatch(message);
    expect((err as PodSecurityError).field).toBe('namespace');
    expect((err as PodSecurityError).exitCode).toBe(2);
  });

  test.each([
    ['no label', ns()],
    ['enforce=privileged', ns({ [ENFORCE_LABEL]: 'privileged' })],
    ['only warn=baseline', ns({ 'pod-security.kubernetes.io/warn': 'baseline' })],
  ])('%s → allowed', (_, namespace) => {
    expect(namespaceRefusal('jobs', namespace)).toBeUndefined();
  });
});

const withContainer = (state: object, extra: object = {}): V1Pod => ({
  status: {
    phase: 'Pending',
    containerStatuses: [
      { name: NODE_CONTAINER, image: 'x', imageID: '', ready: false, restartCount: 0, state, ...extra },
    ],
  },
});

describe('what the pod status says', () => {
  test.each([
    ['running', withContainer({ running: {} }), { state: 'running' }],
    [
      'pulling',
      withContainer({ waiting: { reason: 'ContainerCreating' } }),
      { state: 'pending', reason: 'ContainerCreating' },
    ],
    [
      'one failed pull (retried)',
      withContainer({ waiting: { reason: 'ErrImagePull', message: 'x' } }),
      { state: 'pending', reason: 'ErrImagePull' },
    ],
    [
      'pull back-off',
      withContainer({ waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' } }),
      { state: 'failed', kind: 'image', reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' },
    ],
    [
      'caps refused at create',
      withContainer({
        waiting: {
          reason: 'CreateContainerError',
          message: 'runc create failed: unable to apply caps: operation not permitted',
        },
      }),
      {
        state: 'failed',
        kind: 'caps',
        reason: 'CreateContainerError',
        message: 'runc create failed: unable to apply caps: operation not permitted',
      },
    ],
    [
      'caps refused at start',
      withContainer({
        terminated: {
          exitCode: 128,
          reason: 'StartError',
          message: 'failed to create task: unable to apply caps: operation not permitted',
        },
      }),
      {
        state: 'failed',
        kind: 'caps',
        reason: 'StartError',
        message: 'failed to create task: unable to apply caps: operation not permitted',
      },
    ],
    [
      'other create error',
      withContainer({ waiting: { reason: 'CreateContainerError', message: 'no such file' } }),
      { state: 'failed', kind: 'start', reason: 'CreateContainerError', message: 'no such file' },
    ],
    [
      'exited',
      withContainer({ terminated: { exitCode: 1, reason: 'Error' } }),
      { state: 'failed', kind: 'exited', reason: 'Error', message: 'exit code 1' },
    ],
    [
      'evicted, no container',
      { status: { phase: 'Failed', reason: 'Evicted', message: 'low on disk' } },
      { state: 'failed', kind: 'exited', reason: 'Evicted', message: 'low on disk' },
    ],
    [
      'unschedulable',
      {
        status: {
          phase: 'Pending',
          conditions: [
            { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes' },
          ],
        },
      },
      { state: 'pending', reason: 'not scheduled: Unschedulable 0/1 nodes' },
    ],
    ['gone', undefined, { state: 'failed', kind: 'gone', reason: 'Deleted', message: 'the pod was deleted' }],
  ] as const)('%s', (_, pod, outcome) => {
    expect(podOutcome(pod as V1Pod | undefined)).toEqual(outcome);
  });
});

const event = (type: string, reason: string, message: string): CoreV1Event => ({
  type,
  reason,
  message,
  metadata: {},
  involvedObject: {},
});

describe('the event quoted for a failure', () => {
  const events = [
    event('Normal', 'Scheduled', 'assigned'),
    event('Normal', 'Pulling', 'Pulling image "nope:1"'),
    event('Warning', 'Failed', 'Failed to pull image "nope:1": not found'),
    event('Warning', 'Failed', 'Error: ErrImagePull'),
    event('Warning', 'Failed', 'Error: ImagePullBackOff'),
  ];

  test.each([
    ['image', 'Failed to pull image "nope:1": not found'],
    ['start', 'Error: ImagePullBackOff'],
  ] as const)('%s → %s', (kind, message) => {
    expect(explainingEvent(events, kind)?.message).toBe(message);
  });

  test('the one line quotes the event', () => {
    const line = describeFailure(
      {
        state: 'failed',
        kind: 'image',
        reason: 'ImagePullBackOff',
        message: 'Back-off pulling image "nope:1"',
      },
      events[2],
    );
    expect(line).toBe(
      'ImagePullBackOff (Back-off pulling image "nope:1"); event Failed: "Failed to pull image "nope:1": not found"',
    );
  });
});

describe('host cluster errors, named', () => {
  const apiEx = (code: number, message: string) =>
    Object.assign(
      new Error(
        `HTTP-Code: ${code}\nMessage: x\nBody: {"kind":"Status","message":${JSON.stringify(message)}}`,
      ),
      {
        code,
        body: JSON.stringify({ kind: 'Status', message }),
      },
    );
  test.each([
    [
      'connection refused',
      Object.assign(new Error('request failed'), { code: 'ECONNREFUSED' }),
      HostClusterUnreachableError,
      'host-kubeconfig',
      2,
    ],
    [
      'refused under a cause',
      Object.assign(new Error('x'), { cause: { code: 'ENOTFOUND' } }),
      HostClusterUnreachableError,
      'host-kubeconfig',
      2,
    ],
    ['bad credentials', apiEx(401, 'Unauthorized'), HostClusterUnreachableError, 'host-kubeconfig', 2],
    [
      'pod security',
      apiEx(403, 'pods "x" is forbidden: violates PodSecurity "baseline:latest": privileged'),
      PodSecurityError,
      'namespace',
      2,
    ],
    ['RBAC', apiEx(403, 'pods is forbidden: User "u" cannot create'), HostClusterApiError, undefined, 1],
    ['conflict', apiEx(409, 'already exists'), HostClusterApiError, undefined, 1],
  ] as const)('%s', (_, err, type, field, exitCode) => {
    const named = apiError('create pod', err, 'https://h:6443');
    expect(named).toBeInstanceOf(type);
    expect(named.field).toBe(field);
    expect(named.exitCode).toBe(exitCode);
  });
});

describe('image, access, expiry', () => {
  test.each([
    ['given', 'my/node:1', undefined, { ref: 'my/node:1', source: 'given' }],
    [
      'a mirror, by tag',
      undefined,
      'mirror.example/kind-node',
      { ref: 'mirror.example/kind-node:v1.37.2', source: 'pull' },
    ],
  ] as const)('%s', (_, given, repository, expected) => {
    expect(podImage(given, '1.37.2', repository)).toEqual(expected);
  });

  test('no published digest and no --image: refused, naming --image', () => {
    expect(() => podImage(undefined, '1.37.2', undefined)).toThrow(ImageNotFoundError);
    expect(() => podImage(undefined, '1.37.2', undefined)).toThrow(
      /image: the host cluster pulls the node image itself/,
    );
  });

  test.each([
    [true, 'service'],
    [false, 'port-forward'],
  ] as const)('in the host cluster %s → %s', (inside, kind) => {
    expect(accessKind(inside)).toBe(kind);
  });

  test('forwarded ports become loopback URLs', () => {
    expect(forwardedEndpoints({ api: 1, ready: 2, docker: 3 }, 'https://svc:8443')).toEqual({
      apiServer: 'https://127.0.0.1:1',
      readyUrl: 'http://127.0.0.1:2',
      dockerHost: 'tcp://127.0.0.1:3',
      serviceApiServer: 'https://svc:8443',
    });
  });

  test.each([
    [{}, undefined],
    [{ [LABEL.expires]: '42' }, 42],
    [{ [LABEL.expires]: 'soon' }, undefined],
  ])('expiry of %o', (annotations, at) => {
    expect(podExpiry({ metadata: { annotations } })).toBe(at);
  });
});

describe('forwarder records (files in the state directory)', () => {
  const pod = { namespace: 'ci', name: 'kind-action-x' };
  const ports = { api: 1, ready: 2, docker: 3 };

  test('one per host, namespace and pod; listed by host and namespace', async () => {
    const records = new ForwarderRecords(mkdtempSync(join(tmpdir(), 'ka-fwd-')));
    const key = records.key('https://h:6443', pod);
    expect(key).not.toBe(records.key('https://other:6443', pod));
    await records.write(key, { pid: 1, pod: pod.name, namespace: 'ci', server: 'https://h:6443', ports });
    expect((await records.list('https://h:6443', 'ci')).map((r) => r.key)).toEqual([key]);
    expect(await records.list('https://h:6443', 'other')).toEqual([]);
    expect(await records.list('https://other:6443', 'ci')).toEqual([]);
    await records.remove(key, 2);
    expect(await records.read(key)).toBeDefined();
    await records.remove(key, 1);
    expect(await records.read(key)).toBeUndefined();
  });

  test.each([
    ['a live forwarder is stopped', true, 'SIGTERM'],
    ['a pid that is not a forwarder (reused) is left alone', false, null],
  ] as const)('%s; the record goes either way', async (_, isForwarder, signal) => {
    const records = new ForwarderRecords(mkdtempSync(join(tmpdir(), 'ka-fwd-')));
    const child = spawn('sleep', ['30']);
    const ended = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, s) => r(s)));
    const key = records.key('https://h:6443', pod);
    await records.write(key, {
      pid: child.pid ?? 0,
      pod: pod.name,
      namespace: 'ci',
      server: 'https://h:6443',
      ports,
    });
    expect(await records.stop(key, async () => isForwarder)).toBe(isForwarder);
    expect(await records.read(key)).toBeUndefined();
    if (!isForwarder) child.kill('SIGKILL');
    expect(await ended).toBe(signal ?? 'SIGKILL');
  });

  test('only a process whose command line says port-forward counts as one', async () => {
    const child = spawn('sleep', ['30']);
    try {
      expect(await isForwarderProcess(child.pid ?? 0)).toBe(false);
      expect(await isForwarderProcess(2 ** 22 + 1)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
