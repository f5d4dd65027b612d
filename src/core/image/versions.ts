import { UsageError } from '../errors.js';

/** Kubernetes releases the node image is built and tested with. */
export const KUBERNETES_VERSIONS: Readonly<Record<string, string>> = {
  '1.35': '1.35.4',
  '1.34': '1.34.4',
};

/** The newest release that still runs on both cgroup v1 and v2 hosts. */
export const DEFAULT_KUBERNETES = '1.35';

/** Accept "1.35", "1.35.4" or "v1.35.4"; return the pinned full version. */
export function resolveKubernetesVersion(input: string | undefined): string {
  const text = (input ?? DEFAULT_KUBERNETES).trim().replace(/^v/, '');
  const minor = /^(\d+\.\d+)(?:\.\d+)?$/.exec(text)?.[1];
  const full = minor ? KUBERNETES_VERSIONS[minor] : undefined;
  if (!full || (text !== minor && text !== full)) {
    const known = Object.values(KUBERNETES_VERSIONS).join(', ');
    throw new UsageError(
      `--k8s-version: "${input}" is not supported (choose one of ${known}, or just the minor, e.g. 1.35)`,
    );
  }
  return full;
}

/** The tag a local bake produces; `up` looks for it first. */
export function localNodeImage(version: string): string {
  return `kind-action/node:v${version}`;
}

/** Where a published node image would be pulled from. */
export function publishedNodeImage(version: string): string {
  return `ghcr.io/kind-action/node:v${version}`;
}
