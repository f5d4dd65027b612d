// A small assertion runner for the guest: cases run in order, each either passes or fails with
// its error; a case whose prerequisite failed is reported as failed ("not run"), never as passed.
import { writeFileSync } from 'node:fs';

export interface Case {
  name: string;
  /** Names of earlier cases that must have passed for this one to mean anything. */
  needs?: string[];
  run: () => Promise<void>;
  /** Part of the lane's core (up, Ready, the user's flow, down), which CI runs on every change. */
  core?: boolean;
}

export interface CaseResult {
  name: string;
  ok: boolean;
  seconds: number;
  error?: string;
}

export interface Report {
  passed: number;
  failed: number;
  cases: CaseResult[];
  /** Figures the cases chose to report (e.g. up seconds), not asserted. */
  metrics: Record<string, number | string>;
}

/** How long one case may take before it is failed (emulation is slow, a hang must not eat the lane). */
export const CASE_TIMEOUT_SECONDS = 1500;

function within<T>(seconds: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${seconds}s`)), seconds * 1000);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

/**
 * Run the cases in order. `diagnose` runs after a failed case and its output goes into the case's
 * error, so a failure inside the VM can be read from the host.
 */
export async function runCases(
  cases: Case[],
  metrics: Report['metrics'],
  diagnose: () => Promise<string> = async () => '',
): Promise<Report> {
  const results: CaseResult[] = [];
  for (const c of cases) {
    const missing = (c.needs ?? []).filter((n) => !results.find((r) => r.name === n)?.ok);
    const started = Date.now();
    let error: string | undefined;
    if (missing.length > 0) {
      error = `not run: needs ${missing.join(', ')}`;
    } else {
      log(`case starts: ${c.name}`);
      try {
        await within(CASE_TIMEOUT_SECONDS, c.run());
      } catch (err) {
        error = err instanceof Error ? (err.stack ?? err.message) : String(err);
        error += `\n${await diagnose().catch((e: unknown) => `diagnostics failed: ${String(e)}`)}`;
      }
    }
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    results.push({
      name: c.name,
      ok: error === undefined,
      seconds,
      ...(error === undefined ? {} : { error }),
    });
    log(`${error === undefined ? 'PASS' : 'FAIL'} ${c.name} (${seconds}s)${error ? `\n${error}` : ''}`);
  }
  const passed = results.filter((r) => r.ok).length;
  return { passed, failed: results.length - passed, cases: results, metrics };
}

export function writeReport(file: string, report: Report): void {
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`${report.passed} passed, ${report.failed} failed`);
}

/** Progress on the console; the host echoes lines that start with "vm-lane:". */
export function log(text: string): void {
  process.stdout.write(`vm-lane: ${text}\n`);
}
