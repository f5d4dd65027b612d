import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { arch as runnerArch } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import * as tc from '@actions/tool-cache';
import { extractKubectl, KubectlUnavailableError, kubectlOfContainer } from '../core/cluster/kubectl.js';
import type { DockerClient } from '../core/docker/client.js';

/** The tool cache's name (Node's os.arch()) for a Docker architecture. */
const TOOL_ARCH: Readonly<Record<string, string>> = { amd64: 'x64', arm64: 'arm64' };

/**
 * Put a kubectl of the cluster's version on PATH for later steps: from the
 * runner's tool cache when it has one, else taken out of the node (no
 * download) and kept there. A node image without kubectl, or of another
 * architecture than the runner, is a warning: the cluster itself is fine.
 * Resolves to the kubectl's path, or undefined when none was installed.
 */
export async function installKubectl(
  docker: DockerClient,
  containerId: string,
  tempDir: string,
): Promise<string | undefined> {
  try {
    const node = await kubectlOfContainer(docker, containerId);
    const arch = TOOL_ARCH[node.arch] ?? node.arch;
    if (arch !== runnerArch()) {
      core.warning(
        `install-kubectl: the node is ${node.arch} and this runner ${runnerArch()}; kubectl not installed`,
      );
      return undefined;
    }
    let dir = tc.find('kubectl', node.version, arch);
    if (dir) {
      core.info(`kubectl ${node.version} from the tool cache: ${dir}`);
    } else {
      const work = join(tempDir, `kind-action-kubectl-${randomBytes(4).toString('hex')}`);
      await mkdir(work, { recursive: true });
      try {
        await extractKubectl(docker, containerId, join(work, 'kubectl'));
        dir = await tc.cacheFile(join(work, 'kubectl'), 'kubectl', 'kubectl', node.version, arch);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
      core.info(`kubectl ${node.version} taken out of the node into the tool cache: ${dir}`);
    }
    core.addPath(dir);
    return join(dir, 'kubectl');
  } catch (err) {
    if (!(err instanceof KubectlUnavailableError)) throw err;
    core.warning(`install-kubectl: ${err.message}; kubectl not installed`);
    return undefined;
  }
}
