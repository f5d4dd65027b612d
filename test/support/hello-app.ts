import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execOk } from './exec.js';

export const HELLO_APP = resolve('test/fixtures/hello-app');

/**
 * Build the hello-app image with a node's own Docker daemon (its DOCKER_HOST),
 * which is the kubelet's image store: pods then run it with no push or load.
 */
export async function buildHelloApp(dockerHost: string, tag: string): Promise<void> {
  const ctx = await mkdtemp(join(tmpdir(), 'ka-hello-'));
  try {
    await execOk('go', ['build', '-trimpath', '-o', join(ctx, 'hello-app'), '.'], {
      cwd: HELLO_APP,
      env: { ...process.env, CGO_ENABLED: '0' },
    });
    await execOk('cp', [join(HELLO_APP, 'Dockerfile'), ctx]);
    await execOk('docker', ['build', '-q', '-t', tag, ctx], {
      env: { ...process.env, DOCKER_HOST: dockerHost, DOCKER_BUILDKIT: '0' },
    });
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}
