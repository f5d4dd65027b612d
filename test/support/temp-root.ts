import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every temporary file a test or benchmark run makes (private HOMEs, job
 * files, cache stores, build contexts, the scripts' own mktemp) goes under
 * one directory; the returned function removes it. vitest calls this as a
 * global setup, before its workers start, so they and every process they
 * spawn inherit TMPDIR, and removes the directory when the run ends, however
 * each test ended. The benchmarks call it at start and on exit.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'kind-action-tests-'));
  process.env.TMPDIR = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
  };
}
