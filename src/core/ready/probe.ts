/** What one look at a condition found. */
export type ProbeResult<T = unknown> =
  | { ok: true; value: T }
  | { ok: false; reason: string; fatal?: boolean };

/**
 * A condition we can look at again and again. `fatal: true` means waiting
 * longer cannot help (the container is gone), so the wait stops at once.
 */
export interface Probe<T = unknown> {
  readonly name: string;
  check(signal: AbortSignal): Promise<ProbeResult<T>>;
}

export function ok<T>(value: T): ProbeResult<T> {
  return { ok: true, value };
}

export function notYet(reason: string): ProbeResult<never> {
  return { ok: false, reason };
}

export function fatal(reason: string): ProbeResult<never> {
  return { ok: false, reason, fatal: true };
}
