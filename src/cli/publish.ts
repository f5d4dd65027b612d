import { type Command, Option } from 'commander';
import { registryAuth } from '../core/docker/auth.js';
import { UsageError } from '../core/errors.js';
import { validateRepository } from '../core/image/reference.js';
import { NODE_ARCHITECTURES, resolveKubernetesVersion } from '../core/image/versions.js';
import { truncate } from '../core/names.js';
import { nodeArch } from '../core/package.js';
import { publishJobImages, publishNodeImages } from '../core/publish/publish.js';
import { registryLogin } from './inputs.js';
import { printJson } from './output.js';
import type { Session } from './session.js';

export interface RawPublish {
  k8sVersion?: string;
  repository: string;
  arch: string;
  json?: boolean;
  job?: boolean;
}

export interface PublishInputs {
  /** The job image (`--job`) instead of a node image. */
  job: boolean;
  k8sVersion: string;
  repository: string;
  arches: string[];
  json: boolean;
}

export function publishInputs(raw: RawPublish): PublishInputs {
  const arches = raw.arch.split(',').map((a) => a.trim());
  for (const arch of arches) {
    if (!NODE_ARCHITECTURES.includes(arch)) {
      throw new UsageError(`"${truncate(arch)}" is not one of ${NODE_ARCHITECTURES.join(', ')}`, {
        field: 'arch',
      });
    }
  }
  if (new Set(arches).size !== arches.length)
    throw new UsageError(`"${raw.arch}" names an architecture twice`, { field: 'arch' });
  if (raw.job && raw.k8sVersion !== undefined) {
    throw new UsageError('is for a node image, not with --job (the job image holds every version)', {
      field: 'k8s-version',
    });
  }
  return {
    job: raw.job === true,
    k8sVersion: resolveKubernetesVersion(raw.k8sVersion),
    repository: validateRepository(raw.repository),
    arches,
    json: raw.json === true,
  };
}

/** `kind-action publish`: push the baked node image(s), a multi-arch index for several architectures. */
export function addPublishCommand(program: Command, session: () => Session): void {
  program
    .command('publish')
    .description(
      'push the baked node image(s), or the job image (--job), to a repository; several architectures make one index',
    )
    .requiredOption(
      '--repository <registry/name>',
      'where to push, e.g. registry.example.com/ci/kind-action-node (--job: registry.example.com/ci/kind-action-job)',
    )
    .option('--k8s-version <x.y>', 'Kubernetes version of the baked image')
    .option('--job', 'push the job image (kind-action build --job), tagged v<CLI version>')
    .addOption(
      new Option('--arch <list>', `comma-separated architectures (${NODE_ARCHITECTURES.join(', ')})`).default(
        nodeArch(),
      ),
    )
    .addOption(new Option('--json', 'print repository, tag, digest and per-architecture manifests as JSON'))
    .action((opts: RawPublish) => publishCommand(session(), opts));
}

async function publishCommand(s: Session, raw: RawPublish): Promise<void> {
  const inputs = publishInputs(raw);
  const auth = await registryAuth(inputs.repository, registryLogin(s.env), s.env.dockerConfigFile);
  const request = { ...inputs, auth, cacheDir: s.env.cacheDir, toolEnv: s.env.toolEnv, signal: s.signal };
  const docker = await s.docker();
  const result = inputs.job
    ? await publishJobImages(docker, request, s.log)
    : await publishNodeImages(docker, request, s.log);
  if (inputs.json) printJson(result);
  else process.stdout.write(`${result.repository}:${result.tag}@${result.digest}\n`);
}
