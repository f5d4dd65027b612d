import { UsageError } from './errors.js';
import { truncate } from './names.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

/**
 * Parse a Go-style duration ("180s", "3m", "1m30s", "500ms") or a bare number
 * of seconds ("90") into milliseconds. `field` names the option in the error.
 */
export function parseDuration(value: string, field: string): number {
  const text = /[\r\n]/.test(value) ? '' : value.trim();
  if (/^\d+(?:\.\d+)?$/.test(text)) return checkRange(Number(text) * 1000, value, field);
  if (!WHOLE.test(text)) {
    throw new UsageError(`"${truncate(value)}" is not a duration (expected e.g. 180s, 3m, 1m30s or 500ms)`, {
      field,
    });
  }
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * (UNIT_MS[unit ?? 's'] ?? 1000);
  }
  return checkRange(total, value, field);
}

/** A time to live: a duration as above, or "0" for none (the cluster never expires). */
export function parseTtl(value: string, field: string): number {
  return value.trim() === '0' ? 0 : parseDuration(value, field);
}

/** Clusters expire after this by default: the longest a GitHub-hosted job may run. */
export const DEFAULT_TTL = '6h';

function checkRange(ms: number, value: string, field: string): number {
  if (!(ms > 0) || ms > 24 * 3_600_000) {
    throw new UsageError(`"${truncate(value)}" must be more than 0 and at most 24h`, { field });
  }
  return Math.round(ms);
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
