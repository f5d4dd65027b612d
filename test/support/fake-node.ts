import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execOk } from './exec.js';

export const FAKE_MODES = ['ready', 'slow', 'never', 'exit'] as const;
export type FakeMode = (typeof FAKE_MODES)[number];

const SOURCE = resolve('test/fixtures/fake-node');

export function fakeNodeImage(mode: FakeMode): string {
  return `kind-action-test/fake-node:${mode}`;
}

/**
 * Build the readiness-protocol test image once per source change: a static Go
 * binary in a FROM-scratch image, one tag per behaviour. No registry involved.
 */
export async function buildFakeNodeImages(): Promise<void> {
  const hash = createHash('sha256')
    .update(readFileSync(join(SOURCE, 'main.go')))
    .update(readFileSync(join(SOURCE, 'Dockerfile')))
    .digest('hex')
    .slice(0, 16);
  const have = await execOk('docker', ['images', '-q', '--filter', `label=io.kind-action.test.hash=${hash}`]);
  if (have.trim().split('\n').filter(Boolean).length >= FAKE_MODES.length) return;
  const ctx = mkdtempSync(join(tmpdir(), 'ka-fake-node-'));
  try {
    cpSync(join(SOURCE, 'Dockerfile'), join(ctx, 'Dockerfile'));
    await execOk('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(ctx, 'fake-node'), '.'], {
      cwd: SOURCE,
      env: { ...process.env, CGO_ENABLED: '0' },
    });
    for (const mode of FAKE_MODES) {
      await execOk(
        'docker',
        [
          'build',
          '-q',
          '--build-arg',
          `MODE=${mode}`,
          '--label',
          `io.kind-action.test.hash=${hash}`,
          '-t',
          fakeNodeImage(mode),
          ctx,
        ],
        { env: { ...process.env, DOCKER_BUILDKIT: '0' } },
      );
    }
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
