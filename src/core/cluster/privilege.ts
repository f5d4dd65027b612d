import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DockerClient } from '../docker/client.js';
import { copyIntoContainer } from '../docker/copy-in.js';
import { dockerMessage, isCapsFailure } from '../docker/errors.js';
import type { Logger } from '../logger.js';
import { type NodeSpec, nodeCreateOptions, type PrivilegeMode } from './create-options.js';

export type PrivilegeChoice = 'auto' | PrivilegeMode;

/**
 * Remembers, per daemon, that `--privileged` was refused, so later runs go
 * straight to the fallback instead of paying for a failed start each time.
 */
export class PrivilegeMemo {
  constructor(private readonly file: string | undefined) {}

  static inDir(dir: string | undefined): PrivilegeMemo {
    return new PrivilegeMemo(dir ? join(dir, 'privilege-modes.json') : undefined);
  }

  async get(daemonId: string): Promise<PrivilegeMode | undefined> {
    const all = await this.readAll();
    const mode = all[daemonId];
    return mode === 'privileged' || mode === 'fallback' ? mode : undefined;
  }

  async set(daemonId: string, mode: PrivilegeMode): Promise<void> {
    if (!this.file) return;
    const all = await this.readAll();
    all[daemonId] = mode;
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(all));
    await rename(tmp, this.file);
  }

  private async readAll(): Promise<Record<string, string>> {
    if (!this.file) return {};
    try {
      const parsed: unknown = JSON.parse(await readFile(this.file, 'utf8'));
      return parsed && typeof parsed === 'object' ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  }
}

export interface StartedNode {
  id: string;
  mode: PrivilegeMode;
}

/**
 * Create and start the node: privileged first; when the daemon cannot apply
 * every capability, remove that attempt and use the capability fallback.
 * `track` is told about each container id as soon as it exists, so the caller
 * can clean up even if we are interrupted half-way.
 */
export async function startNode(
  docker: DockerClient,
  daemonId: string,
  spec: Omit<NodeSpec, 'privilege'>,
  choice: PrivilegeChoice,
  memo: PrivilegeMemo,
  log: Logger,
  track: (id: string | undefined) => void,
): Promise<StartedNode> {
  const first: PrivilegeMode = choice === 'auto' ? ((await memo.get(daemonId)) ?? 'privileged') : choice;
  try {
    const id = await createAndStart(docker, { ...spec, privilege: first }, track);
    log.info(`node started in ${first} mode`);
    return { id, mode: first };
  } catch (err) {
    if (!(choice === 'auto' && first === 'privileged' && isCapsFailure(err))) throw err;
    log.info(`--privileged refused by the daemon (${dockerMessage(err)}); using the capability fallback`);
  }
  const id = await createAndStart(docker, { ...spec, privilege: 'fallback' }, track);
  await memo.set(daemonId, 'fallback').catch(() => {});
  log.info('node started in fallback mode (all grantable capabilities, unconfined seccomp/AppArmor)');
  return { id, mode: 'fallback' };
}

async function createAndStart(docker: DockerClient, spec: NodeSpec, track: (id: string | undefined) => void) {
  const id = await docker.createContainer(nodeCreateOptions(spec));
  track(id);
  try {
    if (spec.copyIn) await copyIntoContainer(docker, id, spec.copyIn.dir, spec.copyIn.into);
    await docker.startContainer(id);
    return id;
  } catch (err) {
    await docker.removeContainer(id);
    track(undefined);
    throw err;
  }
}
