import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLabelled, inputsHash, isBuilt } from './local-image.js';

/** Plain Debian job images, as a CI user would pick: one with curl, one with only wget. */
export const JOB_IMAGES = {
  curl: { tag: 'kind-action-test/job:curl', packages: ['curl', 'ca-certificates'], after: [] },
  wget: { tag: 'kind-action-test/job:wget', packages: ['wget', 'ca-certificates'], after: [] },
  // Alpine-like userland: busybox's sh, wget, sed… first on PATH, and no getent.
  busybox: {
    tag: 'kind-action-test/job:busybox',
    packages: ['busybox'],
    after: ['busybox --install -s /usr/local/bin', 'ln -sf /bin/busybox /bin/sh', 'rm -f /usr/bin/getent'],
  },
} as const;
export type JobImage = keyof typeof JOB_IMAGES;

const BASE = 'debian:trixie-slim';

function dockerfile(packages: readonly string[], after: readonly string[]): string {
  return [
    `FROM ${BASE}`,
    'RUN apt-get update \\',
    ` && apt-get install -y --no-install-recommends ${packages.join(' ')} \\`,
    ' && rm -rf /var/lib/apt/lists/*',
    ...after.map((cmd) => `RUN ${cmd}`),
    '',
  ].join('\n');
}

/**
 * Build the job images from the locally seeded Debian base (no registry), once:
 * an image whose label matches the Dockerfile's hash is reused.
 */
export async function buildJobImages(): Promise<void> {
  for (const { tag, packages, after } of Object.values(JOB_IMAGES)) {
    const text = dockerfile(packages, after);
    const hash = inputsHash(text);
    if (await isBuilt(tag, hash)) continue;
    const ctx = mkdtempSync(join(tmpdir(), 'ka-job-image-'));
    try {
      writeFileSync(join(ctx, 'Dockerfile'), text);
      await buildLabelled(ctx, tag, hash);
    } finally {
      rmSync(ctx, { recursive: true, force: true });
    }
  }
}
