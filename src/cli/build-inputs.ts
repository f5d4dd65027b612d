import { type KubeSource, parseKubeSource } from '../core/bake/sources.js';
import { existingFile } from '../core/files.js';
import { validateImageRef } from '../core/image/reference.js';
import { localNodeImage, resolveKubernetesVersion } from '../core/image/versions.js';

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
