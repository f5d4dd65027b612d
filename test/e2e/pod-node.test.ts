import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { DEFAULT_NODE_IMAGE } from '../../scripts/sync-versions.js';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { leftovers, NOTHING } from '../support/docker.js';
import { loadPipeline, resolveJob } from '../support/gitlab-config.js';
import { buildJobImages, JOB_IMAGES } from '../support/job-image.js';
import { kubectlOk } from '../support/kubectl.js';
import {
  type ContainerEnd,
  containerEnd,
  copyImage,
  nodeDocker,
  podReport,
  waitForDefaultServiceAccount,
} from '../support/nested-host.js';

/**
 * The node as a container of a pod, on a host cluster that is itself one of
 * our nodes: the GitLab Kubernetes-executor shape of deploy/kubernetes/,
 * applied for real. Its job container runs the GitLab template's own
 * before_script (read from gitlab/kind.gitlab-ci.yml) and then kubectl.
 */

const kubeBin = inject('kubeBin');
const image = inject('nodeImage');
const env = isolatedEnv();
const HOST = 'pod-host';
const DIR = 'deploy/kubernetes';
/** The node image under the name the manifests give it (the table's repository and patch). */
const NODE_REF = DEFAULT_NODE_IMAGE.replace(/@sha256:[a-f0-9]+$/, '');
let host: UpJson;

type Obj = Record<string, unknown>;
interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
  command?: string[];
  env?: { name: string; value: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Pod {
  metadata: { name: string; namespace: string };
  spec: { containers: Container[]; volumes?: Obj[] };
}

const namespace = (parse(readFileSync(`${DIR}/namespace.yaml`, 'utf8')) as { metadata: { name: string } })
  .metadata.name;

beforeAll(async () => {
  await buildJobImages();
  const r = await cli(['up', '--name', HOST, '--image', image, '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  host = parseJson<UpJson>(r);
  const outer = nodeDocker(host.dockerHost);
  await copyImage(outer, image, NODE_REF);
  await copyImage(outer, JOB_IMAGES.curl.tag);
});

afterAll(async () => {
  const r = await cli(['down', '--name', HOST], env);
  expect(r.code, r.stderr).toBe(0);
  expect(await leftovers(HOST)).toEqual(NOTHING);
});

/**
 * The GitLab shape with the test's job: the template's variables and
 * before_script, then `lines`. The job image is a plain Debian one with curl;
 * kubectl comes from the host node's /kind/bin (a hostPath), as a user's job
 * image would carry its own.
 */
function gitlabJobPod(lines: string[]): Pod {
  const pipeline = loadPipeline('gitlab/kind.gitlab-ci.yml');
  // A job image of one's own (sh and curl) takes the POSIX sh wait: `.kind-sh` where the
  // template has one (`.kind` then runs in the project's job image), else `.kind` itself.
  const job = resolveJob(pipeline, '.kind-sh' in pipeline ? '.kind-sh' : '.kind');
  const pod = parseAllDocuments(readFileSync(`${DIR}/gitlab-kubernetes-executor.yaml`, 'utf8'))
    .map((d) => d.toJS() as Obj)
    .find((d) => d.kind === 'Pod') as unknown as Pod;
  const build = pod.spec.containers.find((c) => c.name === 'build');
  const service = pod.spec.containers.find((c) => c.name === 'svc-0');
  if (!build || !service) throw new Error('the GitLab shape has no build or svc-0 container');
  expect(service.image).toBe(DEFAULT_NODE_IMAGE);
  service.image = NODE_REF;
  build.image = JOB_IMAGES.curl.tag;
  build.imagePullPolicy = 'Never';
  build.command = ['sh', '-c', ['set -e', ...job.beforeScript, ...lines].join('\n')];
  build.env = [...(build.env ?? []), { name: 'PATH', value: '/usr/local/bin:/usr/bin:/bin:/kind/bin' }];
  build.volumeMounts = [
    ...(build.volumeMounts ?? []),
    { name: 'host-kind-bin', mountPath: '/kind/bin', readOnly: true },
  ];
  pod.spec.volumes = [
    ...(pod.spec.volumes ?? []),
    { name: 'host-kind-bin', hostPath: { path: '/kind/bin' } },
  ];
  return pod;
}

async function waitForJob(pod: Pod, seconds: number): Promise<ContainerEnd | undefined> {
  const ns = pod.metadata.namespace;
  for (let i = 0; i < seconds; i++) {
    const end = await containerEnd(kubeBin, host.kubeconfig, ns, pod.metadata.name, 'build');
    if (end) return end;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return undefined;
}

describe('the node as a pod on one of our nodes', () => {
  test('GitLab Kubernetes executor: the template’s before_script reaches kubectl get nodes, the node Ready', async () => {
    await kubectlOk(kubeBin, host.kubeconfig, ['apply', '-f', `${DIR}/namespace.yaml`]);
    await waitForDefaultServiceAccount(kubeBin, host.kubeconfig, namespace);
    const pod = gitlabJobPod([
      'kubectl get nodes',
      `echo "ready=$(kubectl get nodes -o jsonpath='{.items[*].status.conditions[?(@.type=="Ready")].status}')"`,
      'echo "docker=$(curl -fsS "http://$(echo "$DOCKER_HOST" | sed s#^tcp://##)/_ping")"',
    ]);
    expect(pod.metadata.namespace).toBe(namespace);
    await kubectlOk(kubeBin, host.kubeconfig, ['apply', '-f', '-'], stringify(pod));
    // The template's own deadline is KIND_TIMEOUT (180s); the pod also has to start.
    const end = await waitForJob(pod, 300);
    const report = await podReport(kubeBin, host.kubeconfig, namespace, pod.metadata.name, [
      'build',
      'svc-0',
    ]);
    expect(end, `the job did not finish:\n${report}`).toBeDefined();
    expect(end?.exitCode, report).toBe(0);
    const log = await kubectlOk(kubeBin, host.kubeconfig, [
      '-n',
      namespace,
      'logs',
      pod.metadata.name,
      '-c',
      'build',
    ]);
    expect(log).toMatch(/kind-action: Kubernetes ready after \d+s/);
    expect(log).toMatch(/^kind-control-plane\s+Ready\s/m);
    expect(log).toMatch(/^ready=True$/m);
    expect(log).toMatch(/^docker=OK$/m);
    // What the nested node did about running in a pod of one of our nodes (its agent's log):
    const node = await kubectlOk(kubeBin, host.kubeconfig, [
      '-n',
      namespace,
      'logs',
      pod.metadata.name,
      '-c',
      'svc-0',
    ]);
    // the host's pods use 10.244.0.0/16, so the node gave its own pods the next network;
    expect(node, report).toMatch(/pod network 10\.245\.0\.0\/16: 10\.244\.0\.0\/16 overlaps/);
    // on a cgroup v1 host, each hierarchy showed only the pod's cgroup and was bound at its full path;
    if (!existsSync('/sys/fs/cgroup/cgroup.controllers'))
      expect(node, report).toMatch(/cgroup v1: .* bound it at /);
    // and its data emptyDir is a real filesystem, not the host node's overlay rootfs.
    const fsType = await kubectlOk(kubeBin, host.kubeconfig, [
      ...['-n', namespace, 'exec', pod.metadata.name, '-c', 'svc-0', '--'],
      ...['stat', '-f', '-c', '%T', '/var/lib/docker'],
    ]);
    expect(fsType.trim()).not.toMatch(/overlay/);
    await kubectlOk(kubeBin, host.kubeconfig, [
      '-n',
      namespace,
      'delete',
      'pod',
      pod.metadata.name,
      '--wait=true',
    ]);
  });

  test('ARC: the runner scale set’s pod template is a pod the host’s API server takes (server-side dry run)', async () => {
    const values = parse(readFileSync(`${DIR}/arc-runner-scale-set.values.yaml`, 'utf8')) as {
      template: { spec: Obj };
    };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'arc-runner-shape', namespace },
      spec: values.template.spec,
    };
    const out = await kubectlOk(
      kubeBin,
      host.kubeconfig,
      ['apply', '--dry-run=server', '-f', '-'],
      stringify(pod),
    );
    expect(out).toMatch(/pod\/arc-runner-shape created \(server dry run\)/);
  });
});
