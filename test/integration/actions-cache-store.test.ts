import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { ActionsCacheStore } from '../../src/action/cache-store.js';
import type { CacheStore } from '../../src/core/cache/store.js';
import type { Logger } from '../../src/core/logger.js';
import { type RunningCacheServer, startCacheServer } from '../support/cache-server.js';

/**
 * The Action's cache store through @actions/cache against a real cache
 * service on localhost: act's cache server (the v1 REST protocol selected by
 * ACTIONS_CACHE_URL), the same one `act` gives a workflow.
 */
let server: RunningCacheServer;
let work: string;
const infos: string[] = [];
const log: Logger = {
  debug: () => {},
  info: (m) => infos.push(m),
  progress: () => {},
  warn: () => {},
  error: () => {},
};

/** What @actions/core printed (its ::warning:: lines go to stdout). */
let printed: string[] = [];

beforeAll(async () => {
  server = await startCacheServer();
});
afterAll(async () => {
  await server?.stop();
});
beforeEach(() => {
  for (const [name, value] of Object.entries(server.env)) vi.stubEnv(name, value);
  vi.stubEnv('ACTIONS_CACHE_SERVICE_V2', '');
  work = mkdtempSync(join(tmpdir(), 'ka-actions-cache-'));
  printed = [];
  infos.length = 0;
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk, ...rest) => {
    printed.push(String(chunk));
    return write(chunk, ...(rest as []));
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  rmSync(work, { recursive: true, force: true });
});

/** A directory like the image cache's entry: a large random archive and a small manifest. */
function fillEntry(dir: string): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'image.tar.zst'), randomBytes(3 * 1024 * 1024 + 17));
  writeFileSync(
    join(dir, 'image.json'),
    JSON.stringify({ at: Date.now(), nonce: randomBytes(8).toString('hex') }),
  );
  return checksums(dir);
}

function checksums(dir: string): Record<string, string> {
  const sums: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    sums[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
  }
  return sums;
}

/** The archive files the server holds (<dir>/cache/<xx>/<id>), newest last. */
function storedArchives(): string[] {
  const root = join(server.dir, 'cache');
  return readdirSync(root)
    .filter((d) => /^[0-9a-f]{2}$/.test(d))
    .flatMap((d) => readdirSync(join(root, d)).map((f) => join(root, d, f)))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

/** A unique key prefix per test: the server outlives the tests. */
function keyPrefix(): string {
  return `kind-action-node-test-${randomBytes(4).toString('hex')}`;
}

describe('ActionsCacheStore against act cache server', () => {
  test('is available exactly when ACTIONS_CACHE_URL is set', () => {
    expect(ActionsCacheStore.available()).toBe(true);
    vi.stubEnv('ACTIONS_CACHE_URL', '');
    expect(ActionsCacheStore.available()).toBe(false);
  });

  test('a save is restored byte for byte by a fresh store into a fresh directory', async () => {
    const dir = join(work, 'entry');
    const sums = fillEntry(dir);
    const key = keyPrefix();
    const before = storedArchives().length;
    await new ActionsCacheStore(log).save(dir, `${key}-r1-1`);
    expect(storedArchives()).toHaveLength(before + 1);

    rmSync(dir, { recursive: true, force: true });
    const hit = await new ActionsCacheStore(log).restore(dir, key, [`${key}-`]);
    expect(hit).toBe(`${key}-r1-1`);
    expect(checksums(dir)).toEqual(sums);
    expect(printed.join('')).not.toContain('::warning::');
  });

  test('a key nobody saved is a miss that writes nothing', async () => {
    const dir = join(work, 'entry');
    const key = keyPrefix();
    await expect(new ActionsCacheStore(log).restore(dir, key, [`${key}-`])).resolves.toBeUndefined();
    expect(() => readdirSync(dir)).toThrow(/ENOENT/);
  });

  test('the newest save under the prefix wins, so a corrupt entry is shadowed by the next good save', async () => {
    const dir = join(work, 'entry');
    const key = keyPrefix();
    fillEntry(dir);
    await new ActionsCacheStore(log).save(dir, `${key}-r1-1`);
    const corrupt = storedArchives().at(-1) ?? '';
    writeFileSync(corrupt, randomBytes(4096));

    // A corrupt archive: @actions/cache warns and the store reports a miss.
    rmSync(dir, { recursive: true, force: true });
    await expect(new ActionsCacheStore(log).restore(dir, key, [`${key}-`])).resolves.toBeUndefined();
    expect(printed.join('')).toMatch(/::warning::Failed to restore/);

    // The server orders entries by creation second: the next save must be newer.
    await sleep(1100);
    const sums = fillEntry(dir);
    await new ActionsCacheStore(log).save(dir, `${key}-r2-1`);
    rmSync(dir, { recursive: true, force: true });
    await expect(new ActionsCacheStore(log).restore(dir, key, [`${key}-`])).resolves.toBe(`${key}-r2-1`);
    expect(checksums(dir)).toEqual(sums);
  });

  test('an entry whose archive is gone from the server is a miss', async () => {
    const dir = join(work, 'entry');
    const key = keyPrefix();
    fillEntry(dir);
    await new ActionsCacheStore(log).save(dir, `${key}-r1-1`);
    rmSync(storedArchives().at(-1) ?? '');
    rmSync(dir, { recursive: true, force: true });
    await expect(new ActionsCacheStore(log).restore(dir, key, [`${key}-`])).resolves.toBeUndefined();
    expect(() => readdirSync(dir)).toThrow(/ENOENT/);
  });

  test('entries cannot be removed from a job: remove says so', async () => {
    const store: CacheStore = new ActionsCacheStore(log);
    await expect(store.remove(`${keyPrefix()}-r1-1`)).resolves.toBe(false);
  });

  test('a service that does not answer makes save throw, naming the failure', async () => {
    const dir = join(work, 'entry');
    fillEntry(dir);
    // A port nothing listens on: the server's own port, after it is known to be closed, is racy;
    // port 9 (discard) on 127.0.0.1 is refused on a host that runs no inetd.
    vi.stubEnv('ACTIONS_CACHE_URL', 'http://127.0.0.1:9/token/');
    await expect(new ActionsCacheStore(log).save(dir, `${keyPrefix()}-r1-1`)).rejects.toThrow(
      /did not store the entry/,
    );
  });
});
