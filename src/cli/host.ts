import { existsSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { accessKind, type NodeAccess } from '../core/host-cluster/access.js';
import { HostCluster } from '../core/host-cluster/client.js';
import { removeFromHost } from '../core/host-cluster/down.js';
import { runForwarder } from '../core/host-cluster/forward.js';
import { ForwarderRecords } from '../core/host-cluster/forwarder-records.js';
import { podImage } from '../core/host-cluster/image.js';
import { NODE_CONTAINER, podName } from '../core/host-cluster/pod-spec.js';
import { statusOnHost } from '../core/host-cluster/status.js';
import { upOnHost } from '../core/host-cluster/up.js';
import { forwarderDir, spawnForwarder } from './forwarder.js';
import type { HostInputs } from './host-inputs.js';
import type { UpInputs } from './inputs.js';
import { printJson, printStatus, printUp } from './output.js';
import type { Session } from './session.js';

/** A pod's service account token: with KUBERNETES_SERVICE_HOST, this process runs in a cluster. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

async function connect(s: Session, host: HostInputs): Promise<{ cluster: HostCluster; namespace: string }> {
  const cluster = await HostCluster.load(host.kubeconfig, s.log);
  return { cluster, namespace: host.namespace ?? cluster.contextNamespace ?? 'default' };
}

function records(s: Session): ForwarderRecords {
  return new ForwarderRecords(forwarderDir(s.env.stateDir));
}

/** `up --host-kubeconfig`: the node as a pod on that cluster. */
export async function hostUp(s: Session, inputs: UpInputs, host: HostInputs): Promise<void> {
  const image = podImage(inputs.image, inputs.k8sVersion, inputs.repository);
  if (s.env.registry.user || s.env.registry.password) {
    s.log.warn(
      'REGISTRY_USER/REGISTRY_PASSWORD are not applied to a node on a host cluster (no docker login in the pod)',
    );
  }
  const { cluster, namespace } = await connect(s, host);
  const inCluster = Boolean(s.env.kubernetesServiceHost) && existsSync(SERVICE_ACCOUNT_TOKEN);
  const access: NodeAccess =
    accessKind(inCluster) === 'service'
      ? { kind: 'service' }
      : {
          kind: 'port-forward',
          start: spawnForwarder(s.env.stateDir, host.kubeconfig, { ...s.env.toolEnv }),
        };
  const result = await upOnHost(
    cluster,
    {
      name: inputs.name,
      namespace,
      image: image.ref,
      timeoutMs: inputs.timeoutMs,
      waitFor: inputs.waitFor,
      ttlMs: inputs.ttlMs,
      kubeconfigPath: inputs.kubeconfigPath,
      mergeKubeconfig: true,
      clusterOptions: inputs.clusterOptions,
      privilege: inputs.privilege,
      retainOnFailure: inputs.retain,
      access,
      records: records(s),
      signal: s.signal,
    },
    s.log,
  );
  const source = { image: image.ref, imageSource: image.source };
  if (inputs.json) printJson({ ...result, ...source });
  else
    printUp(result, source, [
      `  pod          ${namespace}/${result.pod} (${result.access}; in the host cluster: ${result.serviceApiServer})`,
    ]);
}

export async function hostDown(
  s: Session,
  host: HostInputs,
  name: string | undefined,
  kubeconfig: string | undefined,
  json: boolean,
): Promise<void> {
  const { cluster, namespace } = await connect(s, host);
  const result = await removeFromHost(cluster, namespace, name, s.log, {
    records: records(s),
    ...(kubeconfig ? { kubeconfig } : {}),
  });
  if (json) printJson(result);
}

export async function hostStatus(
  s: Session,
  host: HostInputs,
  name: string | undefined,
  json: boolean,
): Promise<void> {
  const { cluster, namespace } = await connect(s, host);
  const list = await statusOnHost(cluster, namespace, name);
  if (json) printJson(list);
  else printStatus(list);
}

export async function hostLogs(
  s: Session,
  host: HostInputs,
  name: string,
  tail: number | 'all',
): Promise<void> {
  const { cluster, namespace } = await connect(s, host);
  const pod = await cluster.readPod(namespace, podName(name));
  if (!pod)
    throw new UsageError(
      `no cluster named "${name}" in namespace ${namespace} (see: kind-action status --host-kubeconfig)`,
    );
  process.stdout.write(await cluster.podLog(namespace, podName(name), NODE_CONTAINER, tail));
}

/** The detached forwarder `up` starts: prints its ports as one JSON line, then forwards until the pod is gone. */
export async function portForward(s: Session, host: HostInputs, name: string): Promise<void> {
  const { cluster, namespace } = await connect(s, host);
  await runForwarder(
    cluster,
    { namespace, name: podName(name) },
    records(s),
    process.pid,
    (ports) => process.stdout.write(`${JSON.stringify(ports)}\n`),
    s.signal,
    s.log,
  );
}
