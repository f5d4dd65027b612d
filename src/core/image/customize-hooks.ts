import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { waitForExit } from '../bake/docker-steps.js';
import { startNode } from '../cluster/privilege.js';
import type { DockerClient } from '../docker/client.js';
import {
  AgentModeMissingError,
  BakeError,
  errorMessage,
  HookFailedError,
  throwIfAborted,
} from '../errors.js';
import { LABEL } from '../labels.js';
import type { Logger } from '../logger.js';
import type { CustomizeOptions } from './customize.js';
import { splitTag } from './reference.js';

/** The hook files a run gives, by the name the node's agent runs them by (/kind/hooks/NAME). */
export type HookFiles = Partial<Record<'before-cluster' | 'after-cluster', string>>;

/** The agent's mode that runs a bake's hooks and preloads on a baked image (image/agent/customize.go). */
export const CUSTOMIZE_MODE = 'customize';
const LOG_TAIL = 40;

/**
 * The published node image with the user's hooks (and preloads) applied,
 * without a bake: the hook files and each preload image (a `docker save` tar,
 * taken from this Docker, pulled first when absent) are copied into a node of
 * the published image, whose agent runs `customize`: the before-cluster hook
 * before the baked cluster starts, the preloads and the after-cluster hook
 * once it is Ready, then the bake's own stop and seal. The stopped container
 * is committed with the published image's configuration: the published image
 * plus one layer (etcd's data, the image store seed, the hooks' files).
 * An image whose agent lacks the mode: AgentModeMissingError, nothing made.
 */
export async function customizeWithHooks(
  docker: DockerClient,
  opts: CustomizeOptions & { hooks: HookFiles },
  log: Logger,
): Promise<void> {
  const session = randomBytes(6).toString('hex');
  const stage = await mkdtemp(join(tmpdir(), 'kind-action-customize-'));
  let nodeId: string | undefined;
  try {
    const config = (await docker.inspectImage(opts.base))?.Config;
    if (!config) throw new BakeError(`${opts.base} is not present`);
    await stageInputs(docker, opts, stage);
    const info = await docker.info();
    const node = await startNode(
      docker,
      info.ID ?? 'unknown',
      {
        cluster: `customize-${session}`,
        session,
        image: opts.base,
        ports: [],
        env: {},
        cgroupVersion: info.CgroupVersion === '2' ? '2' : '1',
        cmd: [CUSTOMIZE_MODE],
        copyIn: { dir: stage, into: '/kind' },
      },
      opts.privilege,
      opts.memo,
      log,
      (id) => {
        nodeId = id;
      },
    );
    nodeId = node.id;
    await runCustomize(docker, node.id, opts, log);
    const [repo, tag] = splitTag(opts.tag);
    await docker.commitContainer(node.id, {
      repo,
      tag,
      changes: [
        `ENTRYPOINT ${JSON.stringify(config.Entrypoint ?? [])}`,
        `CMD ${JSON.stringify(config.Cmd ?? [])}`,
        labelChange({ ...config.Labels, [LABEL.managed]: 'true', 'io.kind-action.base': opts.basePinned }),
      ],
    });
    const hooks = Object.keys(opts.hooks).join(' and ');
    log.info(
      `customized ${opts.basePinned} with the ${hooks} hook(s) and ${opts.preload.length} preload image(s) as ${opts.tag}`,
    );
  } finally {
    if (nodeId) await docker.removeContainer(nodeId).catch((err: unknown) => log.warn(errorMessage(err)));
    await rm(stage, { recursive: true, force: true });
  }
}

/** Fill `stage` (copied into the node at /kind): hooks/NAME, executable, and customize/N.tar per preload. */
async function stageInputs(
  docker: DockerClient,
  opts: CustomizeOptions & { hooks: HookFiles },
  stage: string,
) {
  await mkdir(join(stage, 'hooks'));
  for (const [name, file] of Object.entries(opts.hooks)) {
    const dest = join(stage, 'hooks', name);
    await copyFile(file, dest);
    await chmod(dest, 0o755);
  }
  if (opts.preload.length === 0) return;
  await mkdir(join(stage, 'customize'));
  for (const [i, ref] of opts.preload.entries()) {
    throwIfAborted(opts.signal);
    if (!(await docker.imageExists(ref))) await docker.pull(ref, opts.signal, await opts.authFor(ref));
    const name = `${String(i).padStart(3, '0')}.tar`;
    await pipeline(await docker.images().save(ref), createWriteStream(join(stage, 'customize', name)));
  }
}

/** Wait for the agent's `customize` to end; a failure as the named error it is. */
async function runCustomize(docker: DockerClient, id: string, opts: CustomizeOptions, log: Logger) {
  const logs = docker.followLogs(id, (line) => log.progress(`customize: ${line}`));
  logs.done.catch((err: unknown) => log.warn(`customize log lines are not shown: ${errorMessage(err)}`));
  try {
    const code = await waitForExit(docker, id, opts.signal);
    if (code === 0) return;
    throw customizeFailure(opts.base, code, await docker.logs(id, 'all').catch(() => ''));
  } finally {
    logs.stop();
  }
}

const HOOK_FAILED = /error: hook (before-cluster|after-cluster): (.*)$/m;

/** Pure: the error for an agent's `customize` that exited with `code`, from its log. */
export function customizeFailure(base: string, code: number, logText: string): BakeError {
  if (logText.includes(`unknown subcommand "${CUSTOMIZE_MODE}"`)) {
    return new AgentModeMissingError(`the agent of ${base} has no ${CUSTOMIZE_MODE} mode (an older image)`);
  }
  const lines = logText.trimEnd().split('\n');
  const hook = HOOK_FAILED.exec(logText);
  if (hook?.[1]) {
    const own = lines.filter((l) => l.includes(`[hook:${hook[1]}] `)).slice(-LOG_TAIL);
    return new HookFailedError(hook[1], `the hook failed (${hook[2]})`, own.join('\n'));
  }
  return new BakeError(
    `customizing ${base} exited with ${code}; last log lines:\n${lines.slice(-LOG_TAIL).join('\n')}`,
  );
}

/** Pure: one LABEL instruction setting every label (values quoted). */
export function labelChange(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `LABEL ${pairs.join(' ')}`;
}
