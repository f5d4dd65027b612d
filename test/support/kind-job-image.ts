import { localJobImage } from '../../src/core/job/names.js';
import { cli, isolatedEnv } from './cli.js';

/**
 * The job image, as `kind-action build --job --kube-source source` builds it
 * (the kubectls from the module-built binaries the node tests use; the CLI
 * skips the build when the image holds the same inputs).
 */
export async function ensureKindJobImage(): Promise<string> {
  const r = await cli(['build', '--job', '--kube-source', 'source', '--json'], {
    ...process.env,
    ...isolatedEnv(),
  });
  if (r.code !== 0)
    throw new Error(`kind-action build --job failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
  const tag = (JSON.parse(r.stdout) as { tag: string }).tag;
  if (tag !== localJobImage()) throw new Error(`build --job made ${tag}, not ${localJobImage()}`);
  return tag;
}
