import { bakeDefaults } from '../core/bake/defaults.js';
import { buildJobImage } from '../core/job/build.js';
import { cliBundleDir, jobDir } from '../core/package.js';
import { jobBuildInputs, type RawBuild } from './build-inputs.js';
import { printJson } from './output.js';
import type { Session } from './session.js';

/** `kind-action build --job`: the job image (the CLI and a kubectl of every version) for one architecture. */
export async function buildJobCommand(s: Session, raw: RawBuild): Promise<void> {
  const inputs = jobBuildInputs(raw);
  const defaults = bakeDefaults(s.env, s.signal);
  const result = await buildJobImage(
    await s.docker(),
    {
      tag: inputs.tag,
      arch: inputs.arch,
      kubeSource: inputs.kubeSource,
      jobDir: jobDir(),
      cliDir: cliBundleDir(),
      imageDir: defaults.imageDir,
      cacheDir: defaults.cacheDir,
      releaseBaseUrl: defaults.releaseBaseUrl,
      toolEnv: defaults.toolEnv,
      force: inputs.force,
      signal: s.signal,
    },
    s.log,
  );
  if (!result.built) s.log.info('use --force to build it anyway');
  if (inputs.json) printJson(result);
  else process.stdout.write(`${result.tag}\n`);
}
