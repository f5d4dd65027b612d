import { createHash } from 'node:crypto';
import { execOk } from './exec.js';

/** Test images carry this label: the hash of what they were built from. */
const HASH_LABEL = 'io.kind-action.test.hash';

/** A short digest of an image's inputs, so it is rebuilt only when they change. */
export function inputsHash(...parts: (string | Buffer)[]): string {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return digest.digest('hex').slice(0, 16);
}

/** Whether `tag` already holds a build of inputs with this hash. */
export async function isBuilt(tag: string, hash: string): Promise<boolean> {
  const ids = await execOk('docker', [
    'images',
    '-q',
    '--filter',
    `reference=${tag}`,
    '--filter',
    `label=${HASH_LABEL}=${hash}`,
  ]);
  return ids.trim() !== '';
}

/** `docker build` of a prepared context, labelled with the inputs' hash (no registry, no BuildKit). */
export async function buildLabelled(
  ctx: string,
  tag: string,
  hash: string,
  buildArgs: string[] = [],
): Promise<void> {
  await execOk(
    'docker',
    [
      'build',
      '-q',
      ...buildArgs.flatMap((a) => ['--build-arg', a]),
      '--label',
      `${HASH_LABEL}=${hash}`,
      '-t',
      tag,
      ctx,
    ],
    { env: { ...process.env, DOCKER_BUILDKIT: '0' } },
  );
}

/** A static Go binary from the module in `source`. */
export async function goBuild(source: string, out: string): Promise<void> {
  await execOk('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', out, '.'], {
    cwd: source,
    env: { ...process.env, CGO_ENABLED: '0' },
  });
}
