import * as cache from '@actions/cache';
import type { CacheStore } from '../core/cache/store.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';

/**
 * The GitHub Actions cache as a CacheStore. Entries are immutable and cannot
 * be deleted from a job, so every save gets a key of its own (the run id and
 * attempt appended) and restore takes the newest entry under the key's prefix:
 * a corrupt entry is shadowed by the next good save.
 */
export class ActionsCacheStore implements CacheStore {
  readonly description = 'GitHub Actions cache';

  constructor(private readonly log: Logger) {}

  static available(): boolean {
    return cache.isFeatureAvailable();
  }

  async restore(dir: string, key: string, prefixes: readonly string[]): Promise<string | undefined> {
    return cache.restoreCache([dir], key, [...prefixes]);
  }

  async save(dir: string, key: string): Promise<void> {
    let id: number;
    try {
      id = await cache.saveCache([dir], key);
    } catch (err) {
      // Another job of the same run saved it first: the entry exists, which is what we want.
      if (err instanceof cache.ReserveCacheError) {
        this.log.info(`cache entry ${key} already exists (${errorMessage(err)})`);
        return;
      }
      throw err;
    }
    // The toolkit reports most failures itself (as a warning) and returns -1.
    if (id === -1) throw new Error('the cache service did not store the entry (see the message above)');
  }

  async remove(): Promise<boolean> {
    return false;
  }
}

/** A save key unique to this run, under the restore key's prefix. */
export function runSaveKey(key: string, env: NodeJS.ProcessEnv): string {
  const run = env.GITHUB_RUN_ID ?? `${Date.now()}`;
  const attempt = env.GITHUB_RUN_ATTEMPT ?? '1';
  return `${key}-r${run}-${attempt}`;
}
