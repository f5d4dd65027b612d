import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageConfig } from './image-config.js';
import { verifyChecksum, writeChecksum } from './integrity.js';

/**
 * An entry's `image.json`: which image the archive holds and the
 * configuration `docker import` gives back to it. Checksummed like the
 * archive, so a damaged manifest is caught the same way.
 */
export const MANIFEST_FILE = 'image.json';

/** Bumped when the entry's layout changes; part of the cache key (key.ts). */
export const ENTRY_FORMAT = 'export-1';

export interface EntryManifest {
  format: typeof ENTRY_FORMAT;
  ref: string;
  config: ImageConfig;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const isArgv = (v: unknown): v is string[] | null => v === null || isStrings(v);
const isRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

/** The first field of `m` that is missing or of the wrong type, if any. */
function badField(m: Record<string, unknown>): string | undefined {
  if (m.format !== ENTRY_FORMAT) return 'format';
  if (typeof m.ref !== 'string' || !m.ref) return 'ref';
  const c = m.config;
  if (typeof c !== 'object' || c === null) return 'config';
  const config = c as Record<string, unknown>;
  const checks: [string, (v: unknown) => boolean][] = [
    ['Entrypoint', isArgv],
    ['Cmd', isArgv],
    ['Env', isStrings],
    ['ExposedPorts', isStrings],
    ['Volumes', isStrings],
    ['Labels', isRecord],
    ['WorkingDir', (v) => typeof v === 'string'],
    ['User', (v) => typeof v === 'string'],
  ];
  const failed = checks.find(([key, ok]) => !ok(config[key]));
  return failed ? `config.${failed[0]}` : undefined;
}

/** Write a JSON file into an entry and its checksum beside it. */
export async function writeCheckedJson(dir: string, name: string, value: unknown): Promise<void> {
  const file = join(dir, name);
  const text = `${JSON.stringify(value, null, 2)}\n`;
  await writeFile(file, text);
  await writeChecksum(file, createHash('sha256').update(text).digest('hex'));
}

export type CheckedJson<T> = { ok: true; manifest: T } | { ok: false; reason: string };

/** Read a JSON file of an entry and check it: its checksum, then its shape (`badField` names a bad field). */
export async function readCheckedJson<T>(
  dir: string,
  name: string,
  badField: (value: Record<string, unknown>) => string | undefined,
): Promise<CheckedJson<T>> {
  const file = join(dir, name);
  const verdict = await verifyChecksum(file);
  if (!verdict.ok) return verdict;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return { ok: false, reason: `${name} is not JSON` };
  }
  const bad =
    typeof parsed === 'object' && parsed !== null ? badField(parsed as Record<string, unknown>) : 'the file';
  if (bad) return { ok: false, reason: `${name}: ${bad} is missing or not valid` };
  return { ok: true, manifest: parsed as T };
}

export function writeManifest(dir: string, manifest: EntryManifest): Promise<void> {
  return writeCheckedJson(dir, MANIFEST_FILE, manifest);
}

export type ManifestVerdict = CheckedJson<EntryManifest>;

/** Read and check an entry's manifest: its checksum, then its shape. */
export function readManifest(dir: string): Promise<ManifestVerdict> {
  return readCheckedJson<EntryManifest>(dir, MANIFEST_FILE, badField);
}
