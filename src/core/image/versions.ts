import table from '../../../versions.json' with { type: 'json' };
import { UsageError } from '../errors.js';
import { nodeArch } from '../package.js';

/** One supported Kubernetes minor, as the version table (versions.json) pins it. */
export interface KubernetesRelease {
  minor: string;
  version: string;
  released: string;
  endOfLife: string;
  etcd: string;
  coredns: string;
  cniPlugins: string;
  pause: string;
  /** sha256 digest of the published multi-arch index of this version; undefined until published. */
  digest: string | undefined;
}

/** The runtime every node image ships, whatever its Kubernetes version. */
export interface RuntimeVersions {
  containerd: string;
  runc: string;
  docker: string;
}

/** Every supported minor, newest first. */
export const KUBERNETES_RELEASES: readonly KubernetesRelease[] = Object.entries(table.kubernetes)
  .map(([minor, row]) => ({ minor, ...row, digest: row.digest ?? undefined }))
  .sort((a, b) => compareVersions(b.version, a.version));

export const RUNTIME_VERSIONS: RuntimeVersions = table.runtime;

/** The cluster services every node image runs besides Kubernetes (storage, NetworkPolicy). */
export interface AddonVersions {
  localPathProvisioner: string;
  kubeRouter: string;
}

export const ADDON_VERSIONS: AddonVersions = table.addons;

/** The CPU architectures node images are built for (Kubernetes' release naming). */
export const NODE_ARCHITECTURES: readonly string[] = table.architectures;

/** Kubernetes releases the node image is built and tested with: minor -> pinned patch. */
export const KUBERNETES_VERSIONS: Readonly<Record<string, string>> = Object.fromEntries(
  KUBERNETES_RELEASES.map((r) => [r.minor, r.version]),
);

/** The minor used when none is asked for. */
export const DEFAULT_KUBERNETES: string = table.defaultMinor;

/** Accept "1.37", "1.37.2" or "v1.37.2"; return the pinned full version. */
export function resolveKubernetesVersion(input: string | undefined): string {
  const text = (input ?? DEFAULT_KUBERNETES).trim().replace(/^v/, '');
  const minor = /^(\d+\.\d+)(?:\.\d+)?$/.exec(text)?.[1];
  const full = minor ? KUBERNETES_VERSIONS[minor] : undefined;
  if (!full || (text !== minor && text !== full)) {
    const known = KUBERNETES_RELEASES.map((r) => r.version).join(', ');
    throw new UsageError(
      `"${input}" is not supported (choose one of ${known}, or just the minor, e.g. ${DEFAULT_KUBERNETES})`,
      { field: 'k8s-version' },
    );
  }
  return full;
}

/** The table's row for a pinned full version (from resolveKubernetesVersion). */
export function kubernetesRelease(version: string): KubernetesRelease {
  const row = KUBERNETES_RELEASES.find((r) => r.version === version);
  if (!row) throw new UsageError(`Kubernetes ${version} is not in the version table`);
  return row;
}

/** The one repository the node images are published to (versions.json's repository). */
export const NODE_REPOSITORY: string = table.repository;

/** Where the job image (the CLI and a kubectl of each version) is published beside the node (versions.json). */
export const JOB_REPOSITORY: string = table.jobRepository;

/** The job image's published index (versions.json's jobDigest and jobDigestTag): its digest and the tag it was published under. */
export interface PublishedJobImage {
  tag: string;
  digest: string;
}

const jobDigest = table.jobDigest as string | null;
const jobDigestTag = table.jobDigestTag as string | null;

/** The job image's published index, as the table records it; undefined until the release writes it back. */
export const JOB_PUBLISHED: PublishedJobImage | undefined =
  jobDigest && jobDigestTag ? { tag: jobDigestTag, digest: jobDigest } : undefined;

/**
 * The tag a local bake produces; `up` looks for it first. Another
 * architecture's bake is tagged apart (…-arm64), as its base image is.
 */
export function localNodeImage(version: string, arch?: string): string {
  return `kind-action/node:v${version}${arch === undefined || arch === nodeArch() ? '' : `-${arch}`}`;
}

/** The tag of a version in a node image repository (the default one or a mirror). */
export function publishedTag(version: string): string {
  return `v${version}`;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
