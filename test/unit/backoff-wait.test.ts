import { describe, expect, test } from 'vitest';
import { ReadinessTimeoutError } from '../../src/core/errors.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/core/ready/backoff.js';
import type { Clock } from '../../src/core/ready/clock.js';
import { exitDetail } from '../../src/core/ready/container-probe.js';
import { fatal, notYet, ok, type Probe } from '../../src/core/ready/probe.js';
import { FatalProbeError, waitFor, waitForPhases } from '../../src/core/ready/wait.js';

describe('backoffDelay', () => {
  const opts = { initialMs: 100, maxMs: 2000, factor: 2, jitter: 0.2 };
  test.each([
    [0, 0, 80],
    [0, 1, 100],
    [1, 1, 200],
    [3, 1, 800],
    [4, 1, 1600],
    [5, 1, 2000],
    [30, 1, 2000],
    [30, 0, 1600],
  ])('attempt %i with random %f → %i ms', (attempt, r, expected) => {
    expect(backoffDelay(attempt, opts, () => r)).toBe(expected);
  });

  test('never above the cap nor below (1 - jitter) of the base', () => {
    for (let attempt = 0; attempt < 20; attempt++) {
      for (const r of [0, 0.3, 0.99]) {
        const d = backoffDelay(attempt, DEFAULT_BACKOFF, () => r);
        expect(d).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
        expect(d).toBeGreaterThanOrEqual(
          Math.min(DEFAULT_BACKOFF.maxMs, DEFAULT_BACKOFF.initialMs * 2 ** attempt) * 0.8 - 1,
        );
      }
    }
  });
});

const STEPS = { initialMs: 100, maxMs: 2000, factor: 2, jitter: 0.2 };

/** A clock that advances only when someone sleeps: waits run instantly. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

function scripted(name: string, results: ReturnType<typeof notYet | typeof ok | typeof fatal>[]): Probe {
  let i = 0;
  return {
    name,
    check: async () => results[Math.min(i++, results.length - 1)] ?? notYet('empty'),
  };
}

describe('waitFor', () => {
  test('returns the value once the probe passes, backing off in between', async () => {
    const clock = fakeClock();
    const probe = scripted('x', [notYet('a'), notYet('a'), ok('done')]);
    await expect(waitFor(probe, { deadline: 10_000, clock, random: () => 1, backoff: STEPS })).resolves.toBe(
      'done',
    );
    expect(clock.slept).toEqual([100, 200]);
  });

  test('with the default backoff, a node that turns ready is noticed within 100 ms', async () => {
    for (const readyAt of [250, 3_000, 4_321]) {
      const clock = fakeClock();
      const probe: Probe<string> = {
        name: 'kubernetes-ready',
        check: async () => (clock.now() >= readyAt ? ok('ready') : notYet('coredns')),
      };
      await expect(waitFor(probe, { deadline: 60_000, clock, random: () => 1 })).resolves.toBe('ready');
      expect(clock.now()).toBeGreaterThanOrEqual(readyAt);
      expect(clock.now() - readyAt).toBeLessThanOrEqual(100);
    }
  });

  test('times out at the deadline with the last reason', async () => {
    const clock = fakeClock();
    const probe = scripted('kubernetes-ready', [notYet('coredns: 0 ready pods')]);
    const err = await waitFor(probe, { deadline: 5000, clock, random: () => 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadinessTimeoutError);
    expect(String(err)).toMatch(/kubernetes-ready.*coredns: 0 ready pods/);
    expect(clock.now()).toBe(5000);
  });

  test('a fatal result stops at once', async () => {
    const clock = fakeClock();
    const probe = scripted('x', [notYet('a'), fatal('container exited')]);
    await expect(waitFor(probe, { deadline: 60_000, clock })).rejects.toBeInstanceOf(FatalProbeError);
    expect(clock.slept).toHaveLength(1);
  });

  test('a fatal guard ends the wait even while the probe hangs', async () => {
    const hanging: Probe = {
      name: 'hang',
      check: (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
    };
    const guard = scripted('container', [ok(true), fatal('the node container is exited (exit code 3)')]);
    const err = await waitFor(hanging, {
      deadline: Date.now() + 60_000,
      guards: [guard],
      guardIntervalMs: 5,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FatalProbeError);
    expect(String(err)).toMatch(/exit code 3/);
  });

  test('an aborted signal rejects with its reason', async () => {
    const ctl = new AbortController();
    ctl.abort(new Error('stop'));
    await expect(
      waitFor(scripted('x', [notYet('a')]), { deadline: 1e9, signal: ctl.signal }),
    ).rejects.toThrow('stop');
  });

  test('reports each new pending reason once', async () => {
    const reasons: string[] = [];
    const probe = scripted('x', [notYet('a'), notYet('a'), notYet('b'), ok(1)]);
    await waitFor(probe, { deadline: 1e6, clock: fakeClock(), onPending: (r) => reasons.push(r) });
    expect(reasons).toEqual(['a', 'b']);
  });
});

describe('waitForPhases', () => {
  test('runs phases in order and times each', async () => {
    const clock = fakeClock();
    const { timings, values } = await waitForPhases(
      [
        { name: 'one', probe: scripted('one', [notYet('x'), ok(1)]) },
        { name: 'two', probe: scripted('two', [ok(2)]) },
      ],
      { deadline: 1e6, clock, random: () => 1, backoff: STEPS },
    );
    expect(values).toEqual([1, 2]);
    expect(timings).toEqual({ one: 0.1, two: 0 });
  });
});

describe('exitDetail', () => {
  test.each([
    [{ ExitCode: 0, OOMKilled: false }, 'exit code 0'],
    [{ ExitCode: 137, OOMKilled: false }, 'exit code 137'],
    [{ ExitCode: 137, OOMKilled: true }, 'exit code 137: killed for lack of memory'],
    [{ ExitCode: 0, OOMKilled: true }, 'exit code 0; a process inside it was killed for lack of memory'],
  ])('%o → %s', (state, expected) => {
    expect(exitDetail(state)).toBe(expected);
  });
});
