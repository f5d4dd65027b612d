import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_RELEASE_URL, downloadRelease, RELEASE_BINARIES } from '../../src/core/bake/release.js';
import { kubeBinaries } from '../../src/core/bake/sources.js';
import { BakeError, IntegrityError } from '../../src/core/errors.js';
import { DEFAULT_KUBERNETES, KUBERNETES_VERSIONS } from '../../src/core/image/versions.js';
import { silentLogger } from '../../src/core/logger.js';
import { cli, isolatedEnv } from '../support/cli.js';
import { snapshot } from '../support/docker.js';
import { exec } from '../support/exec.js';
import { kubeBinDir } from '../support/kube-bin.js';

/** The version under test: the table's default, whose module builds CI has made. */
const VERSION = KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '';
const V = VERSION.replaceAll('.', '\\.');

type Behaviour = 'good' | 'tampered' | 'missing' | 'html' | 'html-as-binary' | 'bad-digest';

/** A local release server: every binary is served well except the one the path's first segment names. */
let server: Server;
let base = '';
const content = (name: string): Buffer => Buffer.from(`\x7fELF fake ${name} binary\n`);
const sha512 = (b: Buffer): string => createHash('sha512').update(b).digest('hex');

beforeAll(async () => {
  server = createServer((req, res) => {
    const [, mode, , version, , , arch, file] = (req.url ?? '').split('/') as string[];
    const behaviour = mode as Behaviour;
    const isDigest = file?.endsWith('.sha512') ?? false;
    const name = (file ?? '').replace(/\.sha512$/, '');
    const target = name === 'kubelet';
    if (version !== `v${VERSION}` || arch !== 'amd64') {
      res.writeHead(404).end('not found');
      return;
    }
    if (target && behaviour === 'missing' && !isDigest) {
      res.writeHead(404).end('no such file');
      return;
    }
    if (target && behaviour === 'html' && !isDigest) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>sign in</body></html>');
      return;
    }
    if (target && behaviour === 'html-as-binary' && !isDigest) {
      res
        .writeHead(200, { 'content-type': 'application/octet-stream' })
        .end('<!DOCTYPE html><html>oops</html>');
      return;
    }
    if (isDigest) {
      const digest = target && behaviour === 'bad-digest' ? 'not-a-digest' : sha512(content(name));
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${digest}\n`);
      return;
    }
    const body =
      target && behaviour === 'tampered'
        ? Buffer.concat([content(name), Buffer.from('evil')])
        : content(name);
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(() => {
  server.close();
});

const download = async (mode: Behaviour) => {
  const outDir = await mkdtemp(join(tmpdir(), 'ka-release-'));
  const run = downloadRelease(
    { version: VERSION, arch: 'amd64', baseUrl: `${base}/${mode}/release`, outDir },
    silentLogger,
  );
  return { outDir, run };
};

describe('--kube-source release: verified downloads that fail closed', () => {
  test('good files are verified against their sha512 and kept', async () => {
    const { outDir, run } = await download('good');
    await run;
    expect((await readdir(outDir)).sort()).toEqual([...RELEASE_BINARIES].sort());
    expect(await readFile(join(outDir, 'kubelet'))).toEqual(content('kubelet'));
  });

  test.each([
    [
      'tampered',
      IntegrityError,
      new RegExp(`kubelet v${V}: sha512 mismatch; expected [0-9a-f]{128}, got [0-9a-f]{128}`),
    ],
    [
      'missing',
      BakeError,
      new RegExp(`kubelet v${V}: download http://.*/kubelet: HTTP 404; expected sha512 [0-9a-f]{128}`),
    ],
    [
      'html',
      IntegrityError,
      new RegExp(`kubelet v${V}: .*got an HTML page, not the file; expected sha512 [0-9a-f]{128}`),
    ],
    ['html-as-binary', IntegrityError, /kubelet: got an HTML page, not the file; expected sha512/],
    ['bad-digest', IntegrityError, /kubelet.sha512: not a sha512 digest/],
  ] as const)('%s → fails naming the file; the bad file is never kept', async (mode, type, message) => {
    const { outDir, run } = await download(mode);
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect(String((err as Error).message)).toMatch(message);
    expect(await readdir(outDir)).not.toContain('kubelet');
    expect((await readdir(outDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('the expected digest is the one published beside the file', async () => {
    const { run } = await download('tampered');
    const err = (await run.catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`expected ${sha512(content('kubelet'))}`);
    expect(DEFAULT_RELEASE_URL).toBe('https://dl.k8s.io/release');
  });
});

describe('kubeBinaries with --kube-source release', () => {
  const binDir = `${process.env.KIND_ACTION_CACHE ?? '/var/cache/kind-action'}/kube/linux-amd64/${VERSION}/bin`;
  let real: Server;
  let realBase = '';
  let tamper = false;

  beforeAll(async () => {
    // Serve the Go-module builds as if they were the official release, with their sha512.
    real = createServer(async (req, res) => {
      const file = (req.url ?? '').split('/').pop() ?? '';
      const name = file.replace(/\.sha512$/, '');
      const body = await readFile(join(binDir, name)).catch(() => undefined);
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      if (file.endsWith('.sha512')) res.end(sha512(body));
      else res.end(tamper && name === 'kube-proxy' ? Buffer.concat([body, Buffer.from('x')]) : body);
    });
    await new Promise<void>((r) => real.listen(0, '127.0.0.1', r));
    const address = real.address();
    realBase = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/release`;
  });

  afterAll(() => {
    real.close();
  });

  test('downloads and verifies the Kubernetes binaries, takes etcd/CoreDNS/CNI from the module build', async () => {
    // A private cache holding only the module-built etcd/CoreDNS/CNI (cheap to link from the shared one).
    const shared = await kubeBinDir(VERSION, { arch: 'amd64', componentsOnly: true });
    const cacheDir = await mkdtemp(join(tmpdir(), 'ka-cache-'));
    await cp(dirname(shared), join(cacheDir, 'kube', 'linux-amd64', `${VERSION}-components`), {
      recursive: true,
    });
    const opts = {
      version: VERSION,
      source: 'release' as const,
      imageDir: resolve('image'),
      cacheDir,
      releaseBaseUrl: realBase,
      arch: 'amd64',
      toolEnv: process.env,
      signal: new AbortController().signal,
    };
    tamper = true;
    await expect(kubeBinaries(opts, silentLogger)).rejects.toThrow(
      new RegExp(`kube-proxy v${V}: sha512 mismatch`),
    );
    expect(await readdir(join(cacheDir, 'kube', 'linux-amd64'))).not.toContain(`${VERSION}-release`);
    tamper = false;
    const dir = await kubeBinaries(opts, silentLogger);
    expect(dir).toBe(join(cacheDir, 'kube', 'linux-amd64', `${VERSION}-release`, 'bin'));
    const files = await readdir(dir);
    for (const b of [...RELEASE_BINARIES, 'etcd', 'coredns', 'bridge', 'host-local', 'loopback', 'portmap']) {
      expect(files).toContain(b);
    }
    expect(sha512(await readFile(join(dir, 'kubelet')))).toBe(
      sha512(await readFile(join(binDir, 'kubelet'))),
    );
  });
});

describe('kind-action build --kube-source release against a bad server', () => {
  let cacheDir = '';
  const env = isolatedEnv();

  beforeAll(async () => {
    // A private cache with only the module-built etcd/CoreDNS/CNI, so the
    // release download is the step under test.
    const shared = await kubeBinDir(VERSION, { arch: 'amd64', componentsOnly: true });
    cacheDir = await mkdtemp(join(tmpdir(), 'ka-cache-'));
    await cp(dirname(shared), join(cacheDir, 'kube', 'linux-amd64', `${VERSION}-components`), {
      recursive: true,
    });
  });

  afterAll(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  test.each([
    ['tampered', new RegExp(`kubelet v${V}: sha512 mismatch; expected ([0-9a-f]{128}), got`)],
    ['missing', new RegExp(`kubelet v${V}: download .*: HTTP 404; expected sha512 ([0-9a-f]{128})`)],
    [
      'html',
      new RegExp(
        `kubelet v${V}: download .*: got an HTML page, not the file; expected sha512 ([0-9a-f]{128})`,
      ),
    ],
  ])(
    '%s kubelet: exit 1 naming the file and its digest; no image, no container, nothing cached',
    async (mode, message) => {
      const before = await snapshot();
      const tag = `kind-action-test/release-${mode}:v1`;
      const r = await cli(['build', '--kube-source', 'release', '--k8s-version', VERSION, '--tag', tag], {
        ...env,
        KIND_ACTION_CACHE: cacheDir,
        KIND_ACTION_RELEASE_URL: `${base}/${mode}/release`,
      });
      expect(r.code, r.stderr).toBe(1);
      const match = message.exec(r.stderr);
      expect(match, r.stderr).not.toBeNull();
      expect(match?.[1]).toBe(sha512(content('kubelet')));
      expect(await readdir(join(cacheDir, 'kube', 'linux-amd64'))).toEqual([`${VERSION}-components`]);
      expect((await exec('docker', ['image', 'inspect', tag])).code).not.toBe(0);
      expect(await snapshot()).toEqual(before);
    },
  );
});
