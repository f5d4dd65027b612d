import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { flushWhile } from '../../src/core/cache/flush.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ka-flush-unit-'));
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

/** A `sync` on PATH that records each call in `calls`. */
function fakeSync(): string {
  const calls = join(dir, 'calls');
  const bin = join(dir, 'sync');
  writeFileSync(bin, `#!/bin/sh\necho x >> '${calls}'\n`);
  chmodSync(bin, 0o755);
  vi.stubEnv('PATH', `${dir}:${process.env.PATH ?? ''}`);
  return calls;
}

const count = (file: string): number =>
  existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;

test('sync runs again and again while the work runs, and stops with it', async () => {
  const calls = fakeSync();
  expect(await flushWhile(() => sleep(1200, 'done'))).toBe('done');
  const during = count(calls);
  expect(during).toBeGreaterThanOrEqual(2);
  await sleep(700);
  expect(count(calls)).toBeLessThanOrEqual(during + 1); // at most the one already started
});

test("the work's error is passed on, and the loop stops", async () => {
  const calls = fakeSync();
  await expect(
    flushWhile(async () => {
      await sleep(100);
      throw new Error('import failed');
    }),
  ).rejects.toThrow('import failed');
  await sleep(500);
  const after = count(calls);
  await sleep(700);
  expect(count(calls)).toBe(after);
});

test('without a sync program the work still runs', async () => {
  vi.stubEnv('PATH', dir);
  expect(await flushWhile(() => sleep(50, 42))).toBe(42);
});
