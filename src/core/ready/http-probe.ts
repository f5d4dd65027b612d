import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { errorMessage } from '../errors.js';
import { notYet, ok, type Probe, type ProbeResult } from './probe.js';

export interface HttpProbeOptions {
  /** Per-request timeout, so one hung request cannot eat the deadline. */
  requestTimeoutMs: number;
}

/**
 * 200 from `url` → ok with the body; anything else → the server's one-line
 * reason. Uses node:http rather than fetch: fetch's first use loads and
 * compiles its HTTP parser, which costs every CLI invocation ~100 ms.
 */
export class HttpProbe implements Probe<string> {
  constructor(
    readonly name: string,
    private readonly url: string,
    private readonly opts: HttpProbeOptions = { requestTimeoutMs: 2000 },
  ) {}

  async check(signal: AbortSignal): Promise<ProbeResult<string>> {
    try {
      const { status, body } = await request(this.url, this.opts.requestTimeoutMs, signal);
      if (status === 200) return ok(body);
      const reason = body.split('\n')[0]?.trim() || `HTTP ${status}`;
      return notYet(`${this.name}: ${reason}`);
    } catch (err) {
      if (signal.aborted) throw signal.reason ?? err;
      return notYet(`${this.name}: ${describeError(err)}`);
    }
  }
}

function request(
  url: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    const req = get(url, { signal, timeout: timeoutMs, agent: false }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' })));
    req.on('error', reject);
  });
}

function describeError(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'TIMEOUT') return 'request timed out';
  if (code) return `not answering (${code})`;
  return errorMessage(err);
}
