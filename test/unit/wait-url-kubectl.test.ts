import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { waitForUrl } from '../../src/core/cluster/wait-url.js';
import { UnknownHostError } from '../../src/core/errors.js';
import { KUBECTL_LINK, kubectlEntry } from '../../src/core/job/names.js';
import { type Logger, silentLogger } from '../../src/core/logger.js';

/**
 * `wait --url` with a kubectl directory, against a readiness server and an
 * API server on localhost (real TLS: a CA, a server certificate, a client
 * certificate, made with openssl): the kubectl link follows the server's
 * version, verified the way kubectl verifies it.
 */
const dir = mkdtempSync(join(tmpdir(), 'ka-wait-kubectl-'));
const servers: Server[] = [];

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A key and a certificate signed by the test CA, for `san` (a server) or a client. */
function issue(name: string, ext: string): void {
  openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  );
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  );
}

const pem = (name: string): Buffer => readFileSync(join(dir, name));
const b64 = (name: string): string => pem(name).toString('base64');

async function listen(server: Server): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

let readyUrl = '';
let apiPort = 0;
let apiServedVersions = 0;

beforeAll(async () => {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,digitalSignature',
  );
  issue('server', 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n');
  issue('client', 'extendedKeyUsage=clientAuth\n');
  // The API server: /version for a client with a certificate of the CA only.
  apiPort = await listen(
    createHttps(
      {
        key: pem('server.key'),
        cert: pem('server.crt'),
        ca: pem('ca.crt'),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        apiServedVersions++;
        res.writeHead(req.url === '/version' ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ major: '1', minor: '36', gitVersion: 'v1.36.3' }));
      },
    ),
  );
  const kubeconfig = stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'n',
        cluster: { server: 'https://172.30.99.1:8443', 'certificate-authority-data': b64('ca.crt') },
      },
    ],
    users: [
      {
        name: 'n',
        user: { 'client-certificate-data': b64('client.crt'), 'client-key-data': b64('client.key') },
      },
    ],
    contexts: [{ name: 'n', context: { cluster: 'n', user: 'n' } }],
    'current-context': 'n',
  });
  const readyPort = await listen(
    createHttp((req, res) => {
      const ok = ['/docker-ready', '/kubernetes-ready', '/config'].includes(req.url ?? '');
      res.writeHead(ok ? 200 : 404);
      res.end(req.url === '/config' ? kubeconfig : ok ? 'ok' : 'not found');
    }),
  );
  readyUrl = `http://127.0.0.1:${readyPort}`;
}, 60_000);

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

function kubectlDir(): string {
  const root = mkdtempSync(join(dir, 'kubectl-'));
  for (const v of ['1.37.2', '1.36.3', '1.35.4']) {
    mkdirSync(join(root, `v${v}`));
    writeFileSync(join(root, kubectlEntry(v)), '', { mode: 0o755 });
  }
  mkdirSync(join(root, 'bin'));
  symlinkSync(`../${kubectlEntry('1.37.2')}`, join(root, KUBECTL_LINK));
  return root;
}

const warnings: string[] = [];
const log: Logger = { ...silentLogger, warn: (m: string) => warnings.push(m) };

const options = (apiServer: string, kubectl: string | undefined) => ({
  url: readyUrl,
  apiServer,
  name: 'kind',
  timeoutMs: 10_000,
  kubeconfigPath: join(dir, `kubeconfig-${Math.random()}`),
  kubectlDir: kubectl,
  signal: new AbortController().signal,
});

describe('wait --url with a kubectl directory', () => {
  test("the link moves to the kubectl of the API server's version, asked over verified TLS with the client certificate", async () => {
    const root = kubectlDir();
    const before = apiServedVersions;
    const result = await waitForUrl(options(`https://localhost:${apiPort}`, root), log);
    expect(apiServedVersions).toBe(before + 1);
    expect(result.kubernetesVersion).toBe('1.36.3');
    expect(result.kubectl).toBe(join(root, kubectlEntry('1.36.3')));
    expect(readlinkSync(join(root, KUBECTL_LINK))).toBe('../v1.36.3/kubectl');
  });

  test('a server certificate not valid for the name: the link stays, with a warning', async () => {
    const root = kubectlDir();
    warnings.length = 0;
    const result = await waitForUrl(options(`https://127.0.0.1:${apiPort}`, root), log);
    expect(result.kubernetesVersion).toBeUndefined();
    expect(readlinkSync(join(root, KUBECTL_LINK))).toBe('../v1.37.2/kubectl');
    expect(warnings.join('\n')).toMatch(
      /kubectl: left as it was, the API server's version is unknown .*IP: 127\.0\.0\.1 is not in the cert's list/,
    );
  });

  test('without a kubectl directory nothing is asked of the API server', async () => {
    const before = apiServedVersions;
    const result = await waitForUrl(options(`https://localhost:${apiPort}`, undefined), log);
    expect(result).not.toHaveProperty('kubernetesVersion');
    expect(apiServedVersions).toBe(before);
  });

  test('a host that does not resolve ends the wait after half the timeout (not a timeout), naming it', async () => {
    const err = await waitForUrl(
      {
        ...options('https://localhost:1', undefined),
        url: 'http://kind-action-test.invalid:10080',
        timeoutMs: 3000,
      },
      log,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownHostError);
    expect((err as UnknownHostError).field).toBe('url');
    expect((err as Error).message).toMatch(
      /^url: the host "kind-action-test\.invalid" does not resolve \(looked for 1\.5s\)/,
    );
  });
});
