import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DEFAULT_KUBERNETES, KUBERNETES_VERSIONS } from '../../src/core/image/versions.js';
import { exec, execOk } from './exec.js';
import { kubeBinDir } from './kube-bin.js';

/** The table's default version; KIND_ACTION_E2E_K8S points the suites at another. */
export const E2E_K8S = process.env.KIND_ACTION_E2E_K8S ?? KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '';

declare module 'vitest' {
  export interface ProvidedContext {
    kubeBin: string;
    nodeImage: string;
  }
}

/**
 * The end-to-end suite boots the real node image. Bake it from source here
 * (binaries and image are cached, so a warm machine skips straight past), and
 * hand the tests the kubectl built with the rest.
 */
export default async function setup(project: TestProject): Promise<void> {
  await execOk('docker', ['info', '--format', '{{.ServerVersion}}']);
  await execOk('npm', ['run', '--silent', 'build']);
  const kubeBin = await kubeBinDir(E2E_K8S);
  const tag = `kind-action/node:v${E2E_K8S}`;
  const r = await exec(process.execPath, [
    'dist/cli/index.js',
    'build',
    '--kube-source',
    'source',
    '--k8s-version',
    E2E_K8S,
    '--tag',
    tag,
  ]);
  if (r.code !== 0) throw new Error(`baking ${tag} failed:\n${r.stderr.slice(-4000)}`);
  project.provide('kubeBin', kubeBin);
  project.provide('nodeImage', tag);
  process.stdout.write(`e2e: node image ${tag}, binaries in ${kubeBin}\n${join(kubeBin, 'kubectl')}\n`);
}
