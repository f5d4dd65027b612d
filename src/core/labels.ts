import { VERSION } from './version.js';

export const LABEL = {
  managed: 'io.kind-action.managed',
  cluster: 'io.kind-action.cluster',
  session: 'io.kind-action.session',
  version: 'io.kind-action.version',
  /** Unix seconds after which any later `up` may remove the cluster (see reap.ts). */
  expires: 'io.kind-action.expires',
  /** On the node: the kubeconfig file `up` wrote, which `down` cleans (see down.ts). */
  kubeconfig: 'io.kind-action.kubeconfig',
  /** On the node image: the Kubernetes version it runs (image/Dockerfile, the bake's commit). */
  k8sVersion: 'io.kind-action.k8s-version',
} as const;

export function resourceLabels(cluster: string, session: string, expiresAt?: number): Record<string, string> {
  return {
    [LABEL.managed]: 'true',
    [LABEL.cluster]: cluster,
    [LABEL.session]: session,
    [LABEL.version]: VERSION,
    ...(expiresAt === undefined ? {} : { [LABEL.expires]: String(expiresAt) }),
  };
}

/** Docker list filter for everything we manage, or one cluster's resources. */
export function labelFilter(cluster?: string): { label: string[] } {
  const label = [`${LABEL.managed}=true`];
  if (cluster !== undefined) label.push(`${LABEL.cluster}=${cluster}`);
  return { label };
}
