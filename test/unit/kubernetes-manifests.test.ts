import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_NODE_IMAGE, KUBERNETES_MANIFESTS } from '../../scripts/sync-versions.js';
import { NODE_REPOSITORY } from '../../src/core/image/versions.js';
import { loadPipeline, resolveJob } from '../support/gitlab-config.js';

/**
 * The shapes of deploy/kubernetes/: parsed as YAML and checked for what the
 * node needs wherever it runs as a container of a pod (privileged, an emptyDir
 * for its data, the table's image). The GitLab shape is also applied for real
 * (test/e2e/pod-node.test.ts); the Tekton Task and the ARC scale set are
 * custom resources, which a cluster without their CRDs cannot take.
 */

const DIR = 'deploy/kubernetes';
type Obj = Record<string, unknown>;

interface Container {
  name: string;
  image: string;
  restartPolicy?: string;
  securityContext?: { privileged?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
  env?: { name: string; value: string }[];
  readinessProbe?: { httpGet?: { path: string; port: number } };
}
interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  sidecars?: Container[];
  steps?: Container[];
  volumes?: { name: string; emptyDir?: object }[];
  dnsPolicy?: string;
}

function docs(file: string): Obj[] {
  const all = parseAllDocuments(readFileSync(join(DIR, file), 'utf8'));
  for (const d of all) expect(d.errors, `${file}: ${d.errors.join('; ')}`).toEqual([]);
  return all.map((d) => d.toJS() as Obj);
}

const yamlFiles = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
const namespaceDoc = docs('namespace.yaml').find((d) => d.kind === 'Namespace') as {
  metadata: { name: string; labels: Record<string, string> };
};

/** Where each file keeps the pod spec (or the Tekton Task spec) the node is part of. */
function podSpec(file: string): PodSpec {
  const all = docs(file);
  const pod = all.find((d) => d.kind === 'Pod' || d.kind === 'Task');
  if (pod) return pod.spec as PodSpec;
  const values = all[0] as { template?: { spec?: PodSpec } };
  if (!values.template?.spec) throw new Error(`${file}: no Pod, Task or Helm pod template`);
  return values.template.spec;
}

const allContainers = (s: PodSpec): Container[] => [
  ...(s.containers ?? []),
  ...(s.initContainers ?? []),
  ...(s.sidecars ?? []),
  ...(s.steps ?? []),
];

function nodeContainer(s: PodSpec): Container {
  const nodes = allContainers(s).filter((c) => c.image.startsWith(NODE_REPOSITORY));
  expect(nodes).toHaveLength(1);
  return nodes[0] as Container;
}

describe('deploy/kubernetes', () => {
  test('every YAML file parses, and the files naming the node image are the ones sync-versions keeps', () => {
    expect(yamlFiles.length).toBeGreaterThanOrEqual(4);
    for (const f of yamlFiles) docs(f);
    const naming = yamlFiles.filter((f) => readFileSync(join(DIR, f), 'utf8').includes(NODE_REPOSITORY));
    expect(naming.map((f) => join(DIR, f)).sort()).toEqual([...KUBERNETES_MANIFESTS].sort());
  });

  test('the namespace admits privileged pods', () => {
    expect(namespaceDoc.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test.each(KUBERNETES_MANIFESTS.map((f) => [f.replace(`${DIR}/`, '')]))(
    '%s: the node is privileged, from the table, with an emptyDir at /var/lib/docker',
    (file) => {
      const spec = podSpec(file);
      const node = nodeContainer(spec);
      expect(node.image).toBe(DEFAULT_NODE_IMAGE);
      expect(node.securityContext?.privileged).toBe(true);
      const data = node.volumeMounts?.find((m) => m.mountPath === '/var/lib/docker');
      expect(data, 'a volume at /var/lib/docker').toBeDefined();
      expect(spec.volumes?.find((v) => v.name === data?.name)?.emptyDir).toBeDefined();
      for (const d of docs(file)) {
        const ns = (d.metadata as { namespace?: string } | undefined)?.namespace;
        if (ns !== undefined) expect(ns).toBe(namespaceDoc.metadata.name);
      }
    },
  );

  test('GitLab: the job and the service carry the template’s own variables, in one pod', () => {
    const job = resolveJob(loadPipeline('gitlab/kind.gitlab-ci.yml'), '.kind');
    const spec = podSpec('gitlab-kubernetes-executor.yaml');
    const build = spec.containers?.find((c) => c.name === 'build');
    const service = nodeContainer(spec);
    expect(spec.containers?.map((c) => c.name)).toEqual(['build', 'svc-0']);
    expect(Object.fromEntries((build?.env ?? []).map((e) => [e.name, e.value]))).toEqual(job.variables);
    const serviceVars = job.services[0]?.variables ?? {};
    for (const e of service.env ?? []) expect(serviceVars[e.name], e.name).toBe(e.value);
    expect(spec.dnsPolicy).toBe('Default');
    const runner = readFileSync(join(DIR, 'gitlab-runner.toml'), 'utf8');
    expect(runner).toMatch(new RegExp(`namespace = "${namespaceDoc.metadata.name}"`));
    expect(runner).toMatch(/privileged = true/);
    expect(runner).toMatch(/mount_path = "\/var\/lib\/docker"/);
  });

  test('ARC: the node is a native sidecar the runner reaches on localhost', () => {
    const spec = podSpec('arc-runner-scale-set.values.yaml');
    const node = nodeContainer(spec);
    expect(spec.initContainers).toContain(node);
    expect(node.restartPolicy).toBe('Always');
    expect(node.readinessProbe?.httpGet).toEqual({ path: '/kubernetes-ready', port: 10080 });
    const runner = spec.containers?.find((c) => c.name === 'runner');
    expect(runner?.env).toContainEqual({ name: 'DOCKER_HOST', value: 'tcp://127.0.0.1:2375' });
    expect(spec.dnsPolicy).toBe('Default');
  });

  test('Tekton: a v1 Task whose steps start once the node sidecar is ready', () => {
    const task = docs('tekton-task.yaml')[0] as { apiVersion: string; kind: string; spec: PodSpec };
    expect([task.apiVersion, task.kind]).toEqual(['tekton.dev/v1', 'Task']);
    const node = nodeContainer(task.spec);
    expect(task.spec.sidecars).toContain(node);
    expect(node.readinessProbe?.httpGet).toEqual({ path: '/kubernetes-ready', port: 10080 });
    expect(task.spec.steps?.length).toBeGreaterThan(0);
  });
});
