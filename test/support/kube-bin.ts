import { execOk } from './exec.js';

/**
 * The directory of a version's module-built binaries for `arch` (the host's
 * when not given), built or found in the cache by image/kube/build-source.sh,
 * which prints it as its last line. `componentsOnly` asks for everything but
 * Kubernetes (the `release` kube source's part).
 */
export async function kubeBinDir(
  version: string,
  opts: { arch?: string; componentsOnly?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const args = [
    'image/kube/build-source.sh',
    version,
    ...(opts.arch ? ['--arch', opts.arch] : []),
    ...(opts.componentsOnly ? ['--components-only'] : []),
  ];
  const out = await execOk('bash', args, opts.env ? { env: opts.env } : {});
  const dir = out.trim().split('\n').pop();
  if (!dir) throw new Error(`build-source.sh ${version} printed no directory`);
  return dir;
}
