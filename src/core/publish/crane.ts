import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryAuth } from '../docker/registry.js';
import type { Logger } from '../logger.js';
import { runProcess } from '../process.js';

/** go-containerregistry's crane, pinned: it writes the multi-arch index. */
export const CRANE_MODULE = 'github.com/google/go-containerregistry/cmd/crane';
export const CRANE_VERSION = 'v0.22.1';

/**
 * The crane binary under `<cacheDir>/tools/crane-<version>/`, built once from
 * the Go module at the pinned version (Go checks it against go.sum's
 * checksum database) and reused.
 */
export async function ensureCrane(
  cacheDir: string,
  toolEnv: Readonly<Record<string, string | undefined>>,
  log: Logger,
  signal: AbortSignal,
): Promise<string> {
  const dir = join(cacheDir, 'tools', `crane-${CRANE_VERSION}`);
  const binary = join(dir, 'crane');
  if (
    await stat(binary).then(
      (s) => s.isFile(),
      () => false,
    )
  )
    return binary;
  await mkdir(join(cacheDir, 'tools'), { recursive: true });
  const work = await mkdtemp(join(cacheDir, 'tools', '.crane-'));
  try {
    log.info(`building crane ${CRANE_VERSION} from Go modules (once, into ${dir})`);
    await runProcess('go', ['install', `${CRANE_MODULE}@${CRANE_VERSION}`], {
      env: { ...toolEnv, GOBIN: work, CGO_ENABLED: '0' },
      signal,
      onLine: (line) => log.debug(line),
    });
    await rm(dir, { recursive: true, force: true });
    await rename(work, dir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return binary;
}

/**
 * An environment for crane whose Docker config holds `auth` only, in a 0600
 * file that is removed by `dispose`; without `auth`, crane reads the user's
 * own Docker config (`docker login`, credential helpers).
 */
export async function craneEnv(
  toolEnv: Readonly<Record<string, string | undefined>>,
  auth: RegistryAuth | undefined,
  tmp: string,
): Promise<{ env: NodeJS.ProcessEnv; dispose(): Promise<void> }> {
  if (!auth) return { env: { ...toolEnv }, dispose: async () => {} };
  const dir = await mkdtemp(join(tmp, 'kind-action-publish-'));
  const file = join(dir, 'config.json');
  const entry = auth.identitytoken
    ? { identitytoken: auth.identitytoken }
    : { auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') };
  await writeFile(file, JSON.stringify({ auths: { [auth.serveraddress]: entry } }), {
    mode: 0o600,
  });
  await chmod(file, 0o600);
  return {
    env: { ...toolEnv, DOCKER_CONFIG: dir },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
