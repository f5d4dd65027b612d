import { get } from 'node:https';
import { errorMessage, KindActionError } from '../errors.js';
import type { Kubeconfig } from './rewrite.js';

/** The API server's version could not be read. */
export class ServerVersionError extends KindActionError {}

/**
 * The Kubernetes version (e.g. 1.37.2) the API server of `cfg`'s first
 * cluster reports at /version, asked with the kubeconfig's own CA and client
 * certificate (TLS verified, as kubectl would).
 */
export function serverVersion(cfg: Kubeconfig, signal: AbortSignal, timeoutMs = 5000): Promise<string> {
  const cluster = cfg.clusters[0]?.cluster ?? {};
  const user = cfg.users[0]?.user ?? {};
  const server = typeof cluster.server === 'string' ? cluster.server : '';
  const pem = (value: unknown): Buffer | undefined =>
    typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
  const ca = pem(cluster['certificate-authority-data']);
  const cert = pem(user['client-certificate-data']);
  const key = pem(user['client-key-data']);
  const url = `${server.replace(/\/+$/, '')}/version`;
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => reject(new ServerVersionError(`GET ${url}: ${why}`));
    const req = get(
      url,
      {
        signal,
        timeout: timeoutMs,
        agent: false,
        ...(ca ? { ca } : {}),
        ...(cert && key ? { cert, key } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode}`);
          const git = (() => {
            try {
              return (JSON.parse(body) as { gitVersion?: unknown }).gitVersion;
            } catch {
              return undefined;
            }
          })();
          const version = typeof git === 'string' ? /^v?(\d+\.\d+\.\d+)/.exec(git)?.[1] : undefined;
          if (version) resolve(version);
          else fail(`no gitVersion in ${body.slice(0, 200)}`);
        });
        res.on('error', (err) => fail(errorMessage(err)));
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', (err) => fail(errorMessage(err)));
  });
}
