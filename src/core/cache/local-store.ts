import { copyFile, link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheStore } from './store.js';

const SAFE_KEY = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * A cache in a local directory: one sub-directory per key. Entries appear
 * whole (written under a temporary name, then renamed). Files are hard-linked
 * where possible, so restore and save cost no copy on the same filesystem.
 */
export class LocalDirectoryStore implements CacheStore {
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `local cache ${root}`;
  }

  async restore(dir: string, key: string, prefixes: readonly string[]): Promise<string | undefined> {
    const found = await this.find(key, prefixes);
    if (!found) return undefined;
    await mkdir(dir, { recursive: true });
    await linkAll(join(this.root, found), dir);
    return found;
  }

  async save(dir: string, key: string): Promise<void> {
    const target = this.entry(key);
    const tmp = `${target}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    try {
      await linkAll(dir, tmp);
      await rm(target, { recursive: true, force: true });
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  async remove(key: string): Promise<boolean> {
    await rm(this.entry(key), { recursive: true, force: true });
    return true;
  }

  private entry(key: string): string {
    if (!SAFE_KEY.test(key)) throw new Error(`cache key "${key}" has characters a file name cannot hold`);
    return join(this.root, key);
  }

  /** The exact key, else the newest entry (by modification time) under a prefix. */
  private async find(key: string, prefixes: readonly string[]): Promise<string | undefined> {
    let names: string[];
    try {
      names = (await readdir(this.root, { withFileTypes: true }))
        .filter((e) => e.isDirectory() && !e.name.includes('.tmp-'))
        .map((e) => e.name);
    } catch {
      return undefined;
    }
    if (names.includes(key)) return key;
    for (const prefix of prefixes) {
      const matches = names.filter((n) => n.startsWith(prefix));
      if (matches.length === 0) continue;
      const dated = await Promise.all(
        matches.map(async (n) => ({ n, t: (await stat(join(this.root, n))).mtimeMs })),
      );
      return dated.sort((a, b) => b.t - a.t)[0]?.n;
    }
    return undefined;
  }
}

async function linkAll(from: string, to: string): Promise<void> {
  for (const e of await readdir(from, { withFileTypes: true })) {
    if (!e.isFile()) continue;
    const src = join(from, e.name);
    const dst = join(to, e.name);
    await rm(dst, { force: true });
    await link(src, dst).catch(() => copyFile(src, dst));
  }
}
