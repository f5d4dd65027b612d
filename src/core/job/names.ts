import { nodeArch } from '../package.js';
import { VERSION } from '../version.js';

/*
 * The job image: what a CI job that uses a node started elsewhere (a GitLab
 * `services:` entry) runs in (job/Dockerfile). It holds the CLI on Node and
 * one kubectl per supported Kubernetes version in a kubectl directory:
 *
 *   <dir>/v<version>/kubectl   each version's kubectl
 *   <dir>/bin/kubectl          a link to one of them, first on PATH; `wait --url`
 *                              points it at the node's version
 */

/** The job image's tag: the CLI's version (it is the CLI's image; its kubectls follow the version table). */
export function jobImageTag(): string {
  return `v${VERSION}`;
}

/** The tag `kind-action build --job` gives the local job image (another architecture's apart). */
export function localJobImage(arch?: string): string {
  return `kind-action/job:${jobImageTag()}${arch === undefined || arch === nodeArch() ? '' : `-${arch}`}`;
}

/** Where a kubectl directory keeps `version`'s kubectl, relative to its root. */
export function kubectlEntry(version: string): string {
  return `v${version}/kubectl`;
}

/** The link in a kubectl directory that PATH finds, relative to its root. */
export const KUBECTL_LINK = 'bin/kubectl';
