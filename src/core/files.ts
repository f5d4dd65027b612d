import { existsSync, statSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UsageError } from './errors.js';
import { truncate } from './names.js';

/** Whether anything is at `path` (a file, a directory, a link that resolves). */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of a file the user named; `field` names the option in the error. */
export function existingFile(path: string | undefined, field: string): string | undefined {
  if (path === undefined) return undefined;
  const full = resolve(path);
  if (!existsSync(full) || !statSync(full).isFile()) {
    throw new UsageError(`"${truncate(path)}" is not an existing file`, { field });
  }
  return full;
}
