import { rm } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { round } from '../ready/wait.js';
import type { CacheStore } from './store.js';

/** A restore that found nothing usable, and why. */
export interface CacheMiss {
  hit: false;
  reason: string;
}

/**
 * Fetch the entry `key` (or the newest under `prefixes`) into a fresh
 * `workDir`: the key found, or a miss. A store that cannot be read is a
 * warning and a miss, never a failure of the run.
 */
export async function fetchEntry(
  store: CacheStore,
  workDir: string,
  key: string,
  prefixes: readonly string[],
  log: Logger,
): Promise<string | CacheMiss> {
  await rm(workDir, { recursive: true, force: true });
  try {
    return (await store.restore(workDir, key, prefixes)) ?? { hit: false, reason: `no entry for ${key}` };
  } catch (err) {
    log.warn(`reading the ${store.description} failed (${errorMessage(err)}); continuing without it`);
    return { hit: false, reason: 'the cache could not be read' };
  }
}

/** Seconds since the previous call (the first: since this was made), to 0.01 s. */
export function lapTimer(): () => number {
  let last = performance.now();
  return () => {
    const now = performance.now();
    const s = round((now - last) / 1000);
    last = now;
    return s;
  };
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(0)} MB`;
}
