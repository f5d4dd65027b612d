import { spawn } from 'node:child_process';
import { KindActionError } from '../errors.js';
import type { RegistryAuth } from './registry.js';

/** A Docker credential helper (`docker-credential-NAME`) that failed or answered nonsense. */
export class CredentialHelperError extends KindActionError {
  constructor(
    message: string,
    readonly helper: string,
  ) {
    super(message);
  }
}

const TIMEOUT_MS = 30_000;

/**
 * Ask `docker-credential-<helper> get` for the login of `serverUrl`, the way
 * the Docker CLI does (the server on stdin, JSON on stdout). A helper that
 * knows no such login answers with a non-zero exit and "credentials not found":
 * that is no credentials (undefined), not an error.
 */
export function credentialsFromHelper(
  helper: string,
  serverUrl: string,
  host: string,
): Promise<RegistryAuth | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(helper)) {
    return Promise.reject(new CredentialHelperError(`"${helper}" is not a credential helper name`, helper));
  }
  const program = `docker-credential-${helper}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new CredentialHelperError(`${program}: ${e.message}`, helper));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const said = (out + err).trim();
      if (code !== 0) {
        if (/credentials not found/i.test(said)) resolve(undefined);
        else
          reject(
            new CredentialHelperError(
              `${program} get ${serverUrl}: ${signal ?? `exit ${code}`}: ${said.slice(0, 300)}`,
              helper,
            ),
          );
        return;
      }
      try {
        resolve(parseHelperAnswer(out, host));
      } catch (e) {
        reject(new CredentialHelperError(`${program} get ${serverUrl}: ${(e as Error).message}`, helper));
      }
    });
    child.stdin.end(serverUrl);
  });
}

/** The helper's JSON answer as Docker's auth config (`<token>` as user means an identity token). */
export function parseHelperAnswer(text: string, host: string): RegistryAuth {
  let data: { Username?: unknown; Secret?: unknown };
  try {
    data = JSON.parse(text) as { Username?: unknown; Secret?: unknown };
  } catch {
    throw new Error('the answer is not JSON');
  }
  if (typeof data.Username !== 'string' || typeof data.Secret !== 'string' || data.Secret === '') {
    throw new Error('the answer lacks Username or Secret');
  }
  if (data.Username === '<token>') {
    return { username: '', password: '', identitytoken: data.Secret, serveraddress: host };
  }
  return { username: data.Username, password: data.Secret, serveraddress: host };
}
