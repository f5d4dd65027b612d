import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import {
  checksumLine,
  parseChecksum,
  sha256File,
  verifyChecksum,
  writeChecksum,
} from '../../src/core/cache/integrity.js';
import { LocalDirectoryStore } from '../../src/core/cache/local-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ka-cache-unit-'));
});

async function archive(content: string): Promise<string> {
  const file = join(dir, 'rootfs.tar.gz');
  writeFileSync(file, content);
  await writeChecksum(file, await sha256File(file));
  return file;
}

describe('integrity', () => {
  test('a file matching its stored sha256 is ok, in sha256sum format', async () => {
    const file = await archive('node image bytes');
    const line = readFileSync(`${file}.sha256`, 'utf8');
    expect(line).toMatch(/^[a-f0-9]{64} {2}rootfs\.tar\.gz\n$/);
    expect(await verifyChecksum(file)).toEqual({ ok: true, sha256: line.slice(0, 64), bytes: 16 });
  });

  test.each<[string, (file: string) => void, RegExp]>([
    ['a changed byte', (f) => writeFileSync(f, 'node image bytez'), /has sha256 .* expected/],
    ['a partial (truncated) file', (f) => truncateSync(f, 5), /\(5 bytes\) has sha256/],
    ['a missing checksum', (f) => writeFileSync(`${f}.sha256`, ''), /holds no sha256/],
    ['a garbage checksum', (f) => writeFileSync(`${f}.sha256`, 'not-a-hash  x\n'), /holds no sha256/],
    ['an empty archive', (f) => truncateSync(f, 0), /\(0 bytes\) has sha256/],
    ['a missing archive', (f) => rmSync(f), /^rootfs\.tar\.gz is missing$/],
  ])('%s is not ok', async (_, damage, reason) => {
    const file = await archive('node image bytes');
    damage(file);
    const v = await verifyChecksum(file);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toMatch(reason);
  });

  test('no checksum file at all is not ok', async () => {
    writeFileSync(join(dir, 'rootfs.tar.gz'), 'x');
    expect(await verifyChecksum(join(dir, 'rootfs.tar.gz'))).toEqual({
      ok: false,
      reason: 'rootfs.tar.gz.sha256 is missing',
    });
  });

  test.each([
    [`${'a'.repeat(64)}  rootfs.tar.gz\n`, 'a'.repeat(64)],
    [`${'b'.repeat(64)}\n`, 'b'.repeat(64)],
    ['A'.repeat(64), undefined],
    ['', undefined],
  ])('parseChecksum(%j) = %j', (text, hex) => {
    expect(parseChecksum(text)).toBe(hex);
  });

  test('checksumLine names only the file', () => {
    expect(checksumLine('c'.repeat(64), '/tmp/x/rootfs.tar.gz')).toBe(`${'c'.repeat(64)}  rootfs.tar.gz\n`);
  });
});

describe('LocalDirectoryStore', () => {
  function entry(root: string, key: string, content: string, mtime: number): void {
    mkdirSync(join(root, key), { recursive: true });
    writeFileSync(join(root, key, 'rootfs.tar.gz'), content);
    utimesSync(join(root, key), mtime, mtime);
  }

  test('saves a directory whole and restores it by exact key', async () => {
    const root = join(dir, 'store');
    const src = join(dir, 'src');
    mkdirSync(src);
    writeFileSync(join(src, 'rootfs.tar.gz'), 'payload');
    writeFileSync(join(src, 'rootfs.tar.gz.sha256'), 'sum');
    const store = new LocalDirectoryStore(root);
    await store.save(src, 'k1');
    expect(readdirSync(root)).toEqual(['k1']);
    const out = join(dir, 'out');
    expect(await store.restore(out, 'k1', [])).toBe('k1');
    expect(readFileSync(join(out, 'rootfs.tar.gz'), 'utf8')).toBe('payload');
    expect(readdirSync(out).sort()).toEqual(['rootfs.tar.gz', 'rootfs.tar.gz.sha256']);
  });

  test('an exact key wins; else the newest entry under a prefix; else a miss', async () => {
    const root = join(dir, 'store');
    entry(root, 'key-r1-1', 'old', 1_000);
    entry(root, 'key-r2-1', 'new', 2_000);
    entry(root, 'other-r3-1', 'other', 3_000);
    const store = new LocalDirectoryStore(root);
    expect(await store.restore(join(dir, 'a'), 'key', ['key-'])).toBe('key-r2-1');
    expect(readFileSync(join(dir, 'a', 'rootfs.tar.gz'), 'utf8')).toBe('new');
    entry(root, 'key', 'exact', 500);
    expect(await store.restore(join(dir, 'b'), 'key', ['key-'])).toBe('key');
    expect(await store.restore(join(dir, 'c'), 'missing', ['missing-'])).toBeUndefined();
    expect(await new LocalDirectoryStore(join(dir, 'nope')).restore(join(dir, 'd'), 'k', [])).toBeUndefined();
  });

  test('remove deletes the entry; unsafe keys are refused', async () => {
    const root = join(dir, 'store');
    entry(root, 'k', 'x', 1);
    const store = new LocalDirectoryStore(root);
    expect(await store.remove('k')).toBe(true);
    expect(readdirSync(root)).toEqual([]);
    await expect(store.save(dir, '../escape')).rejects.toThrow(/cannot hold/);
  });
});
