import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type Clock, systemClock } from './clock.js';
import { fatal, notYet, ok, type Probe, type ProbeResult } from './probe.js';

/** DNS said the name does not exist (as opposed to a lookup that failed for now). */
const NO_SUCH_NAME = new Set(['ENOTFOUND', 'EAI_NONAME', 'EAI_NODATA']);

/** Resolves `host` to an address; the default is the system resolver. */
export type Resolve = (host: string) => Promise<unknown>;

/**
 * A guard for a wait on a host someone else started (a CI service): while
 * the host name does not exist it is "not yet"; once it has not existed for
 * `graceMs` since the first look, waiting longer cannot help (the name is
 * wrong, e.g. not the service's alias), so it is fatal. An IP address
 * always passes.
 */
export class HostResolvesProbe implements Probe<true> {
  readonly name = 'host';
  private since: number | undefined;

  constructor(
    private readonly host: string,
    private readonly graceMs: number,
    private readonly resolve: Resolve = (h) => lookup(h),
    private readonly clock: Clock = systemClock,
  ) {}

  async check(): Promise<ProbeResult<true>> {
    if (isIP(this.host.replace(/^\[|\]$/g, ''))) return ok(true);
    const since = this.since ?? this.clock.now();
    this.since = since;
    try {
      await this.resolve(this.host);
      this.since = undefined;
      return ok(true);
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (!NO_SUCH_NAME.has(code)) return notYet(`${this.host}: lookup failed (${code || 'error'})`);
      const seconds = this.graceMs / 1000;
      if (this.clock.now() - since >= this.graceMs) {
        return fatal(
          `the host "${this.host}" does not resolve (looked for ${seconds}s): name the node by a host this job can resolve, e.g. the alias of its CI service`,
        );
      }
      return notYet(`${this.host}: does not resolve (${code})`);
    }
  }
}
