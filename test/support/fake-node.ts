import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildLabelled, goBuild, inputsHash, isBuilt } from './local-image.js';

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
  const hash = inputsHash(readFileSync(join(SOURCE, 'main.go')), readFileSync(join(SOURCE, 'Dockerfile')));
  const built = await Promise.all(FAKE_MODES.map((mode) => isBuilt(fakeNodeImage(mode), hash)));
  if (built.every(Boolean)) return;
  const ctx = mkdtempSync(join(tmpdir(), 'ka-fake-node-'));
  try {
    cpSync(join(SOURCE, 'Dockerfile'), join(ctx, 'Dockerfile'));
    await goBuild(SOURCE, join(ctx, 'fake-node'));
    for (const mode of FAKE_MODES) await buildLabelled(ctx, fakeNodeImage(mode), hash, [`MODE=${mode}`]);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
