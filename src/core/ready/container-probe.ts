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
    return fatal(
      `the node container ${this.id.slice(0, 12)} is ${state.Status} (exit code ${state.ExitCode}${state.OOMKilled ? ', OOM killed' : ''})`,
    );
  }
}
