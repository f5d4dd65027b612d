import { abortError, ReadinessTimeoutError } from '../errors.js';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { type Clock, systemClock } from './clock.js';
import type { Probe } from './probe.js';

export interface WaitOptions {
  /** Absolute time (clock.now()) by which the probe must pass. */
  deadline: number;
  clock?: Clock;
  backoff?: BackoffOptions;
  random?: () => number;
  signal?: AbortSignal;
  /** Watched in parallel every `guardIntervalMs`; a fatal result ends the wait at once. */
  guards?: Probe[];
  guardIntervalMs?: number;
  /** Called with each new reason the probe is not ready yet. */
  onPending?: (reason: string) => void;
}

/** A guard or probe said waiting longer cannot help. */
export class FatalProbeError extends Error {}

/** Look at `probe` with capped exponential backoff until ok, fatal or the deadline. */
export async function waitFor<T>(probe: Probe<T>, opts: WaitOptions): Promise<T> {
  const clock = opts.clock ?? systemClock;
  const inner = new AbortController();
  const outer = opts.signal;
  const forward = (): void => inner.abort(outer?.reason);
  outer?.addEventListener('abort', forward, { once: true });
  if (outer?.aborted) forward();
  const guardLoop = watchGuards(opts.guards ?? [], opts.guardIntervalMs ?? 500, clock, inner);
  try {
    return await poll(probe, opts, clock, inner.signal);
  } catch (err) {
    if (guardLoop.fatal) throw guardLoop.fatal;
    throw err;
  } finally {
    outer?.removeEventListener('abort', forward);
    guardLoop.stop();
  }
}

async function poll<T>(probe: Probe<T>, opts: WaitOptions, clock: Clock, signal: AbortSignal): Promise<T> {
  let lastReason = `${probe.name}: not checked yet`;
  for (let attempt = 0; ; attempt++) {
    if (signal.aborted) throw abortError(signal);
    const result = await probe.check(signal);
    if (result.ok) return result.value;
    if (result.fatal) throw new FatalProbeError(result.reason);
    if (result.reason !== lastReason) opts.onPending?.(result.reason);
    lastReason = result.reason;
    const remaining = opts.deadline - clock.now();
    if (remaining <= 0) {
      throw new ReadinessTimeoutError(`timed out waiting for ${probe.name}; last reason: ${lastReason}`);
    }
    const delay = backoffDelay(attempt, opts.backoff ?? DEFAULT_BACKOFF, opts.random);
    await clock.sleep(Math.min(delay, remaining), signal);
  }
}

interface GuardLoop {
  fatal: FatalProbeError | undefined;
  stop(): void;
}

function watchGuards(guards: Probe[], intervalMs: number, clock: Clock, ctl: AbortController): GuardLoop {
  const stopper = new AbortController();
  const loop: GuardLoop = { fatal: undefined, stop: () => stopper.abort() };
  if (guards.length === 0) return loop;
  const run = async (): Promise<void> => {
    while (!stopper.signal.aborted && !ctl.signal.aborted) {
      for (const guard of guards) {
        const result = await guard.check(stopper.signal);
        if (!result.ok && result.fatal) {
          loop.fatal = new FatalProbeError(result.reason);
          ctl.abort(loop.fatal);
          return;
        }
      }
      await clock.sleep(intervalMs, stopper.signal);
    }
  };
  run().catch(() => {
    /* stopped, or a transient Docker error: the main probe and deadline still govern */
  });
  return loop;
}

export interface Phase<T = unknown> {
  name: string;
  probe: Probe<T>;
}

export type PhaseTimings = Record<string, number>;

/** Run probes one after another, recording seconds spent in each phase. */
export async function waitForPhases(
  phases: Phase[],
  opts: WaitOptions,
): Promise<{ timings: PhaseTimings; values: unknown[] }> {
  const clock = opts.clock ?? systemClock;
  const timings: PhaseTimings = {};
  const values: unknown[] = [];
  for (const phase of phases) {
    const start = clock.now();
    values.push(await waitFor(phase.probe, opts));
    timings[phase.name] = round((clock.now() - start) / 1000);
  }
  return { timings, values };
}

export function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
