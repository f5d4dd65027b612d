import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Every temporary file a test run makes (private HOMEs, job files, cache
 * stores, build contexts, the scripts' own mktemp) goes under one directory,
 * removed when the run ends, however each test ended. TMPDIR is set before
 * the test workers start, so they, and every process they spawn, inherit it.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'kind-action-tests-'));
  process.env.TMPDIR = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
  };
}
