export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  factor: number;
  /** 0..1: the share of each delay that is randomised. */
  jitter: number;
}

/**
 * For the node's readiness server: it answers from memory, so a look costs
 * nothing, while every millisecond between the node becoming ready and the
 * next look is added to the start. Hence the 100 ms cap (a 2 s cap cost up to
 * 2 s, about 1 s on average, on a 4 s start).
 */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 25, maxMs: 100, factor: 2, jitter: 0.2 };

/**
 * Delay before attempt `attempt` (0-based): exponential, capped, with jitter
 * that never takes it below (1 - jitter) of the base nor above the cap.
 */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions,
  random: () => number = Math.random,
): number {
  const base = Math.min(opts.maxMs, opts.initialMs * opts.factor ** Math.max(0, attempt));
  const spread = base * opts.jitter;
  const delay = base - spread + random() * spread;
  return Math.max(0, Math.min(opts.maxMs, Math.round(delay)));
}
