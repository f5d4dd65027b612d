import type { DockerClient } from '../docker/client.js';
import { fatal, ok, type Probe, type ProbeResult } from './probe.js';

/** Running → ok; exited or removed → fatal, so a wait stops within one poll. */
export class ContainerRunningProbe implements Probe<true> {
  readonly name = 'container';
  constructor(
    private readonly docker: DockerClient,
    private readonly id: string,
  ) {}

  async check(): Promise<ProbeResult<true>> {
    const info = await this.docker.inspectContainer(this.id);
    if (!info) return fatal(`the node container ${this.id.slice(0, 12)} was removed`);
    const state = info.State;
    if (state.Running && !state.Restarting) return ok(true);
    return fatal(`the node container ${this.id.slice(0, 12)} is ${state.Status} (${exitDetail(state)})`);
  }
}

/**
 * How the node ended, as its state says. Docker's OOMKilled is set by any
 * out-of-memory kill in the container's cgroup, which on cgroup v2 counts the
 * pods' cgroups below it: only with exit code 137 was the node itself killed.
 */
export function exitDetail(state: { ExitCode: number; OOMKilled: boolean }): string {
  if (!state.OOMKilled) return `exit code ${state.ExitCode}`;
  return state.ExitCode === 137
    ? 'exit code 137: killed for lack of memory'
    : `exit code ${state.ExitCode}; a process inside it was killed for lack of memory`;
}
