import { randomBytes } from 'node:crypto';
import {
  cpSync,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { type Codec, defaultCodec, gzipCodec, zstdCodec } from '../../src/core/cache/codec.js';
import { restoreImage, saveImage } from '../../src/core/cache/image-cache.js';
import { cacheableConfig, type ImageConfig } from '../../src/core/cache/image-config.js';
import { sha256File, writeChecksum } from '../../src/core/cache/integrity.js';
import { LocalDirectoryStore } from '../../src/core/cache/local-store.js';
import { MANIFEST_FILE } from '../../src/core/cache/manifest.js';
import { DockerClient } from '../../src/core/docker/client.js';
import type { Logger } from '../../src/core/logger.js';
import { exportContainers, snapshot } from '../support/docker.js';
import { execOk } from '../support/exec.js';

/**
 * The image cache against the real engine: `docker export` → zstd (or gzip) → sha256,
 * the configuration in image.json → store → restore → verify → `docker import` →
 * configuration checked, and every way an entry can be damaged, which must end as a
 * warning, a removed entry, no image and a miss.
 */
const REF = 'kind-action-test/cache-roundtrip:v1';
const OTHER = 'kind-action-test/cache-other:v1';
const ONBUILD = 'kind-action-test/cache-onbuild:v1';
let docker: DockerClient;
let dir: string;
let store: LocalDirectoryStore;
let storeDir: string;
const warnings: string[] = [];
const log: Logger = {
  debug: () => {},
  info: () => {},
  progress: () => {},
  warn: (m) => warnings.push(m),
  error: (m) => warnings.push(m),
};

/**
 * A small image with a layer of its own (random bytes, so an import really writes it)
 * and a configuration in every field the cache gives back, some with characters a
 * Dockerfile parser would expand or strip.
 */
async function makeImage(ref: string): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'ka-img-'));
  writeFileSync(join(root, 'payload'), randomBytes(2 * 1024 * 1024));
  const changes = [
    'ENTRYPOINT ["/bin/app", "--flag"]',
    'CMD ["serve"]',
    'ENV PATH=/kind/bin:/usr/bin',
    'ENV QUOTED="say \\"hi\\" \\$HOME"',
    'EXPOSE 10080/tcp',
    'EXPOSE 53/udp',
    'VOLUME ["/var/lib/docker", "/data"]',
    'LABEL io.kind-action.k8s-version=1.35.4 "with space"="a b"',
    'WORKDIR /srv',
  ].flatMap((c) => ['-c', c]);
  await execOk('sh', [
    '-c',
    'root=$1 ref=$2; shift 2; tar -C "$root" -c . | docker import "$@" - "$ref" >/dev/null',
    'sh',
    root,
    ref,
    ...changes,
  ]);
  rmSync(root, { recursive: true, force: true });
  return (await execOk('docker', ['image', 'inspect', '-f', '{{.Id}}', ref])).trim();
}

/** sha256 of the image's /payload, read through a container created (not started) from it. */
async function payloadSum(ref: string): Promise<string> {
  return (
    await execOk('sh', [
      '-c',
      'id=$(docker create "$1") && docker cp "$id:/payload" - | tar -xO | sha256sum; docker rm -v "$id" >/dev/null',
      'sh',
      ref,
    ])
  ).split(' ')[0] as string;
}

async function inspectConfig(ref: string): Promise<ImageConfig> {
  return cacheableConfig((await docker.inspectImage(ref))?.Config ?? {});
}

async function removeImage(ref: string): Promise<void> {
  await execOk('docker', ['rmi', '-f', ref]).catch(() => '');
}

const opts = () => ({
  store,
  key: 'k',
  prefixes: ['k-'],
  workDir: join(dir, 'work'),
  toolPath: process.env.PATH ?? '',
});
const entryFile = (key: string, codec: Codec = zstdCodec): string => join(storeDir, key, codec.file);

/** `bytes` compressed by `codec` into `file`. */
async function compressInto(codec: Codec, bytes: Buffer, file: string): Promise<void> {
  await codec.compress(Readable.from([bytes]), createWriteStream(file));
}

let golden: string;
/** Docker's containers, volumes, networks and untagged images before the tests: nothing made here may stay. */
let before: Awaited<ReturnType<typeof snapshot>>;
let danglingBefore: string;
const dangling = (): Promise<string> => execOk('docker', ['images', '-q', '--filter', 'dangling=true']);
let original: { config: ImageConfig; payload: string };

beforeAll(async () => {
  docker = await DockerClient.connect(
    { kind: 'socket', socketPath: '/var/run/docker.sock', source: 'test' },
    log,
  );
  before = await snapshot();
  danglingBefore = await dangling();
  await makeImage(REF);
  original = { config: await inspectConfig(REF), payload: await payloadSum(REF) };
  golden = mkdtempSync(join(tmpdir(), 'ka-cache-golden-'));
  const saved = await saveImage(
    docker,
    REF,
    'k-r1-1',
    {
      store: new LocalDirectoryStore(golden),
      workDir: join(golden, '.work'),
      toolPath: process.env.PATH ?? '',
    },
    log,
  );
  expect(saved).toMatchObject({ saved: true });
});

afterAll(async () => {
  rmSync(golden, { recursive: true, force: true });
  await removeImage(REF);
  await removeImage(OTHER);
  expect(await snapshot()).toEqual(before);
  expect(await dangling()).toBe(danglingBefore);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ka-cache-it-'));
  storeDir = join(dir, 'store');
  store = new LocalDirectoryStore(storeDir);
  warnings.length = 0;
  cpSync(join(golden, 'k-r1-1'), join(storeDir, 'k-r1-1'), { recursive: true });
  await removeImage(REF);
});

describe('DockerClient', () => {
  test('a socket endpoint is used even when DOCKER_HOST names another daemon', async () => {
    // Post runs with DOCKER_HOST exported by main (the node's Docker), yet must use the host's.
    vi.stubEnv('DOCKER_HOST', 'tcp://127.0.0.1:1');
    try {
      const c = await DockerClient.connect(
        { kind: 'socket', socketPath: '/var/run/docker.sock', source: 'state' },
        log,
      );
      expect((await c.info()).ID).toBeTruthy();
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('image cache round trip', () => {
  test('zstd is the codec where the program is installed (as on this machine and GitHub runners)', () => {
    expect(defaultCodec(process.env.PATH ?? '').name).toBe('zstd');
    expect(defaultCodec('/nonexistent').name).toBe('gzip');
  });

  test('save then restore gives back the same files and configuration; each entry file has its sha256', async () => {
    expect(readdirSync(join(storeDir, 'k-r1-1')).sort()).toEqual([
      MANIFEST_FILE,
      `${MANIFEST_FILE}.sha256`,
      zstdCodec.file,
      `${zstdCodec.file}.sha256`,
    ]);
    for (const file of [entryFile('k-r1-1'), join(storeDir, 'k-r1-1', MANIFEST_FILE)]) {
      expect(await sha256File(file)).toBe(readFileSync(`${file}.sha256`, 'utf8').slice(0, 64));
    }
    expect(await docker.imageExists(REF)).toBe(false);
    // Every field of the test image's configuration is set, some with quotes and a $.
    expect(original.config).toMatchObject({
      Entrypoint: ['/bin/app', '--flag'],
      Cmd: ['serve'],
      ExposedPorts: ['10080/tcp', '53/udp'],
      Volumes: ['/data', '/var/lib/docker'],
      WorkingDir: '/srv',
      Labels: { 'io.kind-action.k8s-version': '1.35.4', 'with space': 'a b' },
    });
    expect(original.config.Env).toContain('QUOTED=say "hi" $HOME');

    const r = await restoreImage(docker, REF, opts(), log);
    expect(r).toMatchObject({ hit: true, key: 'k-r1-1' });
    expect(await inspectConfig(REF)).toEqual(original.config);
    expect(await payloadSum(REF)).toBe(original.payload);
    expect(warnings).toEqual([]);
    // The scratch directory is gone after the import, and so is the container save exported.
    expect(() => readdirSync(join(dir, 'work'))).toThrow();
    expect(await exportContainers()).toEqual([]);
  });

  test('no entry is a plain miss, without a warning', async () => {
    const r = await restoreImage(docker, REF, { ...opts(), key: 'other', prefixes: ['other-'] }, log);
    expect(r).toEqual({ hit: false, reason: 'no entry for other' });
    expect(warnings).toEqual([]);
  });

  test.each<[string, (file: string) => void | Promise<void>, RegExp]>([
    [
      'a flipped byte',
      (f) => {
        const b = readFileSync(f);
        b[Math.floor(b.length / 2)] = (b[Math.floor(b.length / 2)] ?? 0) ^ 0xff;
        writeFileSync(f, b);
      },
      /has sha256 .* expected/,
    ],
    ['a partial archive (upload cut short)', (f) => truncateSync(f, 1000), /\(1000 bytes\) has sha256/],
    ['a missing checksum (save interrupted)', (f) => rmSync(`${f}.sha256`), /sha256 is missing/],
    [
      'a valid checksum over bytes that are not a tar',
      (f) => compressInto(zstdCodec, Buffer.from('not a tar archive'), f),
      /docker import failed/,
    ],
    [
      'a valid checksum over bytes that are not zstd',
      (f) => writeFileSync(f, randomBytes(4096)),
      /docker import failed: .*zstd exited with 1/,
    ],
    [
      'a changed manifest',
      (f) => {
        const m = join(f, '..', MANIFEST_FILE);
        writeFileSync(m, readFileSync(m, 'utf8').replace('/srv', '/tmp'));
      },
      /image\.json \(\d+ bytes\) has sha256 .* expected/,
    ],
    ['a missing manifest', (f) => rmSync(join(f, '..', MANIFEST_FILE)), /image\.json is missing/],
    [
      'a manifest whose configuration does not come back from the import',
      async (f) => {
        const m = join(f, '..', MANIFEST_FILE);
        const manifest = JSON.parse(readFileSync(m, 'utf8'));
        manifest.config.Labels['two\nlines'] = 'x';
        writeFileSync(m, JSON.stringify(manifest));
        await writeChecksum(m, await sha256File(m));
      },
      /the imported image's Labels differ from the entry's/,
    ],
  ])('%s: a warning, the entry removed, a miss — never a failure', async (_, damage, reason) => {
    const file = entryFile('k-r1-1');
    await damage(file);
    if (reason.source.startsWith('docker import')) await writeChecksum(file, await sha256File(file));
    const r = await restoreImage(docker, REF, opts(), log);
    expect(r.hit).toBe(false);
    if (!r.hit) expect(r.reason).toMatch(reason);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /cache entry k-r1-1 is corrupt or partial .* removing it and building the image again/,
    );
    expect(readdirSync(storeDir)).toEqual([]);
    expect(await docker.imageExists(REF)).toBe(false);
  });

  test('an archive of another image is refused the same way', async () => {
    await makeImage(OTHER);
    const other = join(dir, 'other');
    mkdirSync(other);
    expect(
      await saveImage(
        docker,
        OTHER,
        'k-r2-1',
        { store, workDir: other, toolPath: process.env.PATH ?? '' },
        log,
      ),
    ).toMatchObject({
      saved: true,
    });
    rmSync(join(storeDir, 'k-r1-1'), { recursive: true });
    const r = await restoreImage(docker, REF, opts(), log);
    expect(r.hit).toBe(false);
    if (!r.hit) expect(r.reason).toMatch(/does not hold kind-action-test\/cache-roundtrip:v1/);
    expect(readdirSync(storeDir)).toEqual([]);
  });

  test('gzip where zstd is not installed: saved as rootfs.tar.gz and restored the same way', async () => {
    await makeImage(REF);
    const made = { config: await inspectConfig(REF), payload: await payloadSum(REF) };
    const saved = await saveImage(
      docker,
      REF,
      'k-r3-1',
      { store, workDir: join(dir, 'gz'), codec: gzipCodec, toolPath: process.env.PATH ?? '' },
      log,
    );
    expect(saved).toMatchObject({ saved: true });
    expect(readdirSync(join(storeDir, 'k-r3-1')).sort()).toEqual([
      MANIFEST_FILE,
      `${MANIFEST_FILE}.sha256`,
      gzipCodec.file,
      `${gzipCodec.file}.sha256`,
    ]);
    rmSync(join(storeDir, 'k-r1-1'), { recursive: true });
    await removeImage(REF);
    const r = await restoreImage(docker, REF, opts(), log);
    expect(r).toMatchObject({ hit: true, key: 'k-r3-1' });
    expect(await inspectConfig(REF)).toEqual(made.config);
    expect(await payloadSum(REF)).toBe(made.payload);
    expect(warnings).toEqual([]);
  });

  test('a zstd entry where zstd is not installed: a warning and a miss, the entry kept for other machines', async () => {
    vi.stubEnv('PATH', '/nonexistent');
    try {
      const r = await restoreImage(docker, REF, opts(), log);
      expect(r).toEqual({ hit: false, reason: 'zstd is not installed' });
    } finally {
      vi.unstubAllEnvs();
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cache entry k-r1-1 is compressed with zstd, which is not installed here/);
    expect(readdirSync(storeDir)).toEqual(['k-r1-1']);
    expect(await docker.imageExists(REF)).toBe(false);
  });

  test('an entry with no archive in it is dropped as corrupt', async () => {
    rmSync(entryFile('k-r1-1'));
    const r = await restoreImage(docker, REF, opts(), log);
    expect(r).toEqual({ hit: false, reason: 'corrupt entry: it holds no image archive' });
    expect(readdirSync(storeDir)).toEqual([]);
  });

  test('an image docker import could not give back (ONBUILD) is not saved, and no container is left', async () => {
    await execOk('sh', [
      '-c',
      'tar -c -T /dev/null | docker import -c "ONBUILD RUN true" - "$1" >/dev/null',
      'sh',
      ONBUILD,
    ]);
    const r = await saveImage(
      docker,
      ONBUILD,
      'k-onbuild',
      { store, workDir: join(dir, 'w3'), toolPath: process.env.PATH ?? '' },
      log,
    );
    expect(r).toEqual({
      saved: false,
      reason: 'the image sets ONBUILD, which docker import cannot restore',
    });
    expect(readdirSync(storeDir)).toEqual(['k-r1-1']);
    expect(await exportContainers()).toEqual([]);
    await removeImage(ONBUILD);
  });

  test('the size guard skips the save and stores nothing', async () => {
    await makeImage(REF);
    const r = await saveImage(
      docker,
      REF,
      'k-big',
      { store, workDir: join(dir, 'w2'), maxBytes: 1024, toolPath: process.env.PATH ?? '' },
      log,
    );
    expect(r.saved).toBe(false);
    if (!r.saved) expect(r.reason).toMatch(/MB, over the 0 MB limit/);
    expect(readdirSync(storeDir)).toEqual(['k-r1-1']);
    await removeImage(REF);
  });
});
