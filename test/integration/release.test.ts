import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_RELEASE_URL, downloadRelease, RELEASE_BINARIES } from '../../src/core/bake/release.js';
import { BakeError, IntegrityError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/logger.js';

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
    if (version !== 'v1.35.4' || arch !== 'amd64') {
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
    { version: '1.35.4', arch: 'amd64', baseUrl: `${base}/${mode}/release`, outDir },
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
      /kubelet v1.35.4: sha512 mismatch; expected [0-9a-f]{128}, got [0-9a-f]{128}/,
    ],
    ['missing', BakeError, /download http:\/\/.*\/kubelet: HTTP 404/],
    ['html', IntegrityError, /kubelet: got an HTML page, not the file/],
    ['html-as-binary', IntegrityError, /kubelet: got an HTML page, not the file/],
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
