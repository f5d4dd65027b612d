import { type KubeSource, parseKubeSource } from '../core/bake/sources.js';
import { UsageError } from '../core/errors.js';
import { existingFile } from '../core/files.js';
import { validateImageRef } from '../core/image/reference.js';
import { localNodeImage, resolveKubernetesVersion } from '../core/image/versions.js';
import { localJobImage } from '../core/job/names.js';

export interface RawBuild {
  k8sVersion?: string;
  preload: string[];
  beforeCluster?: string;
  afterCluster?: string;
  kubeSource: string;
  arch: string;
  tag?: string;
  registrySecret?: string;
  force?: boolean;
  json?: boolean;
  job?: boolean;
}

export interface BuildInputs {
  k8sVersion: string;
  preload: string[];
  beforeCluster: string | undefined;
  afterCluster: string | undefined;
  kubeSource: KubeSource;
  arch: string;
  tag: string;
  registrySecretFile: string | undefined;
  force: boolean;
  json: boolean;
}

export function buildInputs(raw: RawBuild): BuildInputs {
  const k8sVersion = resolveKubernetesVersion(raw.k8sVersion);
  return {
    k8sVersion,
    preload: raw.preload.map((ref) => validateImageRef(ref, 'preload')),
    beforeCluster: existingFile(raw.beforeCluster, 'before-cluster'),
    afterCluster: existingFile(raw.afterCluster, 'after-cluster'),
    kubeSource: parseKubeSource(raw.kubeSource),
    arch: raw.arch,
    tag: raw.tag === undefined ? localNodeImage(k8sVersion, raw.arch) : validateImageRef(raw.tag, 'tag'),
    registrySecretFile: existingFile(raw.registrySecret, 'registry-secret'),
    force: raw.force === true,
    json: raw.json === true,
  };
}

/** `build --job`: the job image, for one architecture. */
export interface JobBuildInputs {
  kubeSource: KubeSource;
  arch: string;
  tag: string;
  force: boolean;
  json: boolean;
}

/** The node's bake options have no meaning for the job image: each is refused by name. */
export function jobBuildInputs(raw: RawBuild): JobBuildInputs {
  const nodeOnly: [string, boolean][] = [
    ['k8s-version', raw.k8sVersion !== undefined],
    ['preload', raw.preload.length > 0],
    ['before-cluster', raw.beforeCluster !== undefined],
    ['after-cluster', raw.afterCluster !== undefined],
    ['registry-secret', raw.registrySecret !== undefined],
  ];
  const given = nodeOnly.find(([, set]) => set);
  if (given) {
    throw new UsageError(
      'is for the node image, not with --job (the job image holds a kubectl of every version)',
      {
        field: given[0],
      },
    );
  }
  return {
    kubeSource: parseKubeSource(raw.kubeSource),
    arch: raw.arch,
    tag: raw.tag === undefined ? localJobImage(raw.arch) : validateImageRef(raw.tag, 'tag'),
    force: raw.force === true,
    json: raw.json === true,
  };
}
