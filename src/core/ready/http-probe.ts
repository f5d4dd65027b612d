import { errorMessage } from '../errors.js';
import { notYet, ok, type Probe, type ProbeResult } from './probe.js';

export interface HttpProbeOptions {
  /** Per-request timeout, so one hung request cannot eat the deadline. */
  requestTimeoutMs: number;
}

/** 200 from `url` → ok with the body; anything else → the server's one-line reason. */
export class HttpProbe implements Probe<string> {
  constructor(
    readonly name: string,
    private readonly url: string,
    private readonly opts: HttpProbeOptions = { requestTimeoutMs: 2000 },
  ) {}

  async check(signal: AbortSignal): Promise<ProbeResult<string>> {
    const timeout = AbortSignal.timeout(this.opts.requestTimeoutMs);
    try {
      const res = await fetch(this.url, { signal: AbortSignal.any([signal, timeout]) });
      const body = await res.text();
      if (res.status === 200) return ok(body);
      const reason = body.split('\n')[0]?.trim() || `HTTP ${res.status}`;
      return notYet(`${this.name}: ${reason}`);
    } catch (err) {
      if (signal.aborted) throw err;
      return notYet(`${this.name}: ${describeFetchError(err)}`);
    }
  }
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `not answering (${cause.code})`;
  if (err instanceof Error && err.name === 'TimeoutError') return 'request timed out';
  return errorMessage(err);
}
