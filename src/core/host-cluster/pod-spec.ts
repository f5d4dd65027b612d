import type { V1Pod, V1SecurityContext, V1Service } from '@kubernetes/client-node';
import { FALLBACK_CAP_DROP, type PrivilegeMode } from '../cluster/create-options.js';
import { NODE_PORT } from '../cluster/ports.js';
import { LABEL, resourceLabels } from '../labels.js';
import { containerName } from '../names.js';

/** Everything that decides the node's Pod and Service on the host cluster. */
export interface PodNodeSpec {
  cluster: string;
  session: string;
  namespace: string;
  image: string;
  privilege: PrivilegeMode;
  /** Environment for the node (cluster options, extra certificate names). */
  env: Record<string, string>;
  /** Unix seconds after which a later `up` on the namespace removes the node; none: never. */
  expiresAt?: number | undefined;
  /** The kubeconfig file `up` writes, recorded for `down` (an annotation: a path is no label value). */
  kubeconfig?: string | undefined;
}

/** The node's container in the pod; `logs` and the readiness guards name it. */
export const NODE_CONTAINER = 'node';

/** Seconds the node gets to stop on delete (the Docker path's stop timeout). */
export const GRACE_SECONDS = 10;

/** The pod and the Service share the node container's name: `kind-action-<cluster>`. */
export function podName(cluster: string): string {
  return containerName(cluster);
}

/** Label selector for everything the tool made in a namespace, or one cluster's. */
export function labelSelector(cluster?: string): string {
  return [`${LABEL.managed}=true`, ...(cluster === undefined ? [] : [`${LABEL.cluster}=${cluster}`])].join(
    ',',
  );
}

/** The names in the node's API certificate that reach it through its Service. */
export function serviceNames(cluster: string, namespace: string, clusterIp?: string): string[] {
  const svc = podName(cluster);
  const names = [
    svc,
    `${svc}.${namespace}`,
    `${svc}.${namespace}.svc`,
    `${svc}.${namespace}.svc.cluster.local`,
  ];
  return clusterIp && clusterIp !== 'None' ? [...names, clusterIp] : names;
}

/** Where a pod in the host cluster reaches the node's three services through its Service. */
export function serviceEndpoints(cluster: string, namespace: string) {
  const host = `${podName(cluster)}.${namespace}.svc`;
  return {
    apiServer: `https://${host}:${NODE_PORT.api}`,
    readyUrl: `http://${host}:${NODE_PORT.ready}`,
    dockerHost: `tcp://${host}:${NODE_PORT.docker}`,
  };
}

/** Pure: the node's pod. The Docker path's volume, tmpfs and privileges, in Kubernetes terms. */
export function nodePod(spec: PodNodeSpec): V1Pod {
  const labels = resourceLabels(spec.cluster, spec.session);
  const annotations: Record<string, string> = {};
  if (spec.expiresAt !== undefined) annotations[LABEL.expires] = String(spec.expiresAt);
  if (spec.kubeconfig) annotations[LABEL.kubeconfig] = spec.kubeconfig;
  const fallback = spec.privilege === 'fallback';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName(spec.cluster), namespace: spec.namespace, labels, annotations },
    spec: {
      hostname: `${spec.cluster}-control-plane`,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: GRACE_SECONDS,
      // The node needs no credentials of the host cluster, nor its services' variables.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      // The node's own Services take 10.96.0.0/12 inside it: resolve through the host
      // node's resolvers, not a cluster DNS address that may lie in that range.
      dnsPolicy: 'Default',
      containers: [
        {
          name: NODE_CONTAINER,
          image: spec.image,
          imagePullPolicy: 'IfNotPresent',
          env: Object.entries(spec.env).map(([name, value]) => ({ name, value })),
          ports: Object.entries(NODE_PORT).map(([name, containerPort]) => ({
            name,
            containerPort,
            protocol: 'TCP',
          })),
          securityContext: securityContext(spec.privilege),
          volumeMounts: [
            { name: 'docker', mountPath: '/var/lib/docker' },
            { name: 'run', mountPath: '/run' },
            ...(fallback
              ? [
                  { name: 'kmsg', mountPath: '/dev/kmsg' },
                  { name: 'cgroup', mountPath: '/sys/fs/cgroup' },
                ]
              : []),
          ],
        },
      ],
      volumes: [
        // dockerd inside cannot put overlay2 on the container's overlay rootfs.
        { name: 'docker', emptyDir: {} },
        { name: 'run', emptyDir: { medium: 'Memory' } },
        ...(fallback
          ? [
              { name: 'kmsg', hostPath: { path: '/dev/kmsg', type: 'CharDevice' } },
              { name: 'cgroup', hostPath: { path: '/sys/fs/cgroup', type: 'Directory' } },
            ]
          : []),
      ],
    },
  };
}

/**
 * `privileged`, or the Docker path's fallback as far as a pod can say it: all
 * capabilities but CAP_SYS_RESOURCE, seccomp and AppArmor unconfined, and the
 * host's /dev/kmsg and cgroup filesystem mounted read-write.
 */
function securityContext(mode: PrivilegeMode): V1SecurityContext {
  if (mode === 'privileged') return { privileged: true };
  return {
    privileged: false,
    capabilities: { add: ['ALL'], drop: [...FALLBACK_CAP_DROP] },
    seccompProfile: { type: 'Unconfined' },
    appArmorProfile: { type: 'Unconfined' },
  };
}

/** Pure: the ClusterIP Service in front of the node's API, readiness and Docker ports. */
export function nodeService(spec: Pick<PodNodeSpec, 'cluster' | 'session' | 'namespace'>): V1Service {
  const labels = resourceLabels(spec.cluster, spec.session);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: podName(spec.cluster), namespace: spec.namespace, labels },
    spec: {
      type: 'ClusterIP',
      selector: { [LABEL.cluster]: spec.cluster, [LABEL.session]: spec.session },
      ports: Object.entries(NODE_PORT).map(([name, port]) => ({
        name,
        port,
        targetPort: port,
        protocol: 'TCP',
      })),
    },
  };
}
