import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { arch as runnerArch, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import { extractKubectl, KubectlUnavailableError, type NodeKubectl } from '../core/cluster/kubectl.js';
import type { DockerClient } from '../core/docker/client.js';

/** The tool cache's name (Node's os.arch()) for a Docker architecture. */
const TOOL_ARCH: Readonly<Record<string, string>> = { amd64: 'x64', arm64: 'arm64' };

/**
 * Put a kubectl of the cluster's version on PATH for later steps: from the
 * runner's tool cache when it has one, else taken out of the node (no
 * download) and kept there. A node image without kubectl, or of another
 * architecture than the runner, is a warning: the cluster itself is fine.
 * `findNode` names the node (main knows its container, the wait step its name).
 */
export async function installKubectl(
  docker: DockerClient,
  findNode: () => Promise<NodeKubectl>,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  if (!env.RUNNER_TOOL_CACHE) {
    core.warning('install-kubectl: RUNNER_TOOL_CACHE is not set (not on a runner?); kubectl not installed');
    return;
  }
  const tempDir = env.RUNNER_TEMP || tmpdir();
  try {
    const node = await findNode();
    const arch = TOOL_ARCH[node.arch] ?? node.arch;
    if (arch !== runnerArch()) {
      core.warning(
        `install-kubectl: the node is ${node.arch} and this runner ${runnerArch()}; kubectl not installed`,
      );
      return;
    }
    core.addPath(await toolDir(docker, node, arch, tempDir));
  } catch (err) {
    if (!(err instanceof KubectlUnavailableError)) throw err;
    core.warning(`install-kubectl: ${err.message}; kubectl not installed`);
  }
}

/** The tool cache's directory for this kubectl, filled from the node when it has none yet. */
async function toolDir(
  docker: DockerClient,
  node: NodeKubectl,
  arch: string,
  tempDir: string,
): Promise<string> {
  const cached = tc.find('kubectl', node.version, arch);
  if (cached) {
    core.info(`kubectl ${node.version} from the tool cache: ${cached}`);
    return cached;
  }
  const work = join(tempDir, `kind-action-kubectl-${randomBytes(4).toString('hex')}`);
  await mkdir(work, { recursive: true });
  try {
    await extractKubectl(docker, node.containerId, join(work, 'kubectl'));
    const dir = await tc.cacheFile(join(work, 'kubectl'), 'kubectl', 'kubectl', node.version, arch);
    core.info(`kubectl ${node.version} taken out of the node into the tool cache: ${dir}`);
    return dir;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
