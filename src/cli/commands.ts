import { bake } from '../core/bake/bake.js';
import { bakeDefaults } from '../core/bake/defaults.js';
import { down } from '../core/cluster/down.js';
import { exportKubeconfig } from '../core/cluster/kubeconfig.js';
import { cachedKubectl } from '../core/cluster/kubectl.js';
import { exposureWarning } from '../core/cluster/placement.js';
import { PrivilegeMemo } from '../core/cluster/privilege.js';
import { status } from '../core/cluster/status.js';
import { up } from '../core/cluster/up.js';
import { waitForCluster } from '../core/cluster/wait-name.js';
import { waitForUrl } from '../core/cluster/wait-url.js';
import { UsageError } from '../core/errors.js';
import { publishedSourceFor } from '../core/image/published.js';
import { imageResolver } from '../core/image/resolve.js';
import { kubeconfigPath } from '../core/kubeconfig/path.js';
import { buildInputs, type RawBuild } from './build-inputs.js';
import { hostInputs, type RawHost } from './host-inputs.js';
import { optionalName, type RawUp, type RawWait, registryLogin, upInputs, waitInputs } from './inputs.js';
import { buildJobCommand } from './job.js';
import { printJson, printStatus, printUp, printWait } from './output.js';
import type { Session } from './session.js';

export async function upCommand(s: Session, raw: RawUp): Promise<void> {
  const inputs = upInputs(raw, s.env);
  const host = hostInputs(raw, s.env.home, {
    publish: raw.publish.length > 0,
    network: raw.network !== undefined,
    'listen-address': raw.listenAddress !== '127.0.0.1',
  });
  // Loaded only here: the Kubernetes client is no cost to any other command.
  if (host) return (await import('./host.js')).hostUp(s, inputs, host);
  const registry = registryLogin(s.env);
  const exposure = exposureWarning(inputs.listenAddress, '--listen-address');
  if (exposure) s.log.warn(exposure);
  const docker = await s.docker();
  const published = await publishedSourceFor(
    inputs.k8sVersion,
    inputs.repository,
    registry,
    s.env.dockerConfigFile,
  );
  const image = imageResolver(
    docker,
    {
      image: inputs.image,
      k8sVersion: inputs.k8sVersion,
      build: 'auto',
      published,
      bake: async (tag, bakeSignal) => {
        await bake(
          docker,
          {
            ...bakeDefaults(s.env, bakeSignal),
            k8sVersion: inputs.k8sVersion,
            tag,
            kubeSource: inputs.kubeSource,
            preload: [],
          },
          s.log,
        );
      },
    },
    s.log,
  );
  const result = await up(
    docker,
    {
      name: inputs.name,
      resolveImage: image.resolve,
      timeoutMs: inputs.timeoutMs,
      waitFor: inputs.waitFor,
      ttlMs: inputs.ttlMs,
      kubeconfigPath: inputs.kubeconfigPath,
      mergeKubeconfig: true,
      publish: inputs.publish,
      listenAddress: inputs.listenAddress,
      ...(inputs.network ? { network: inputs.network } : {}),
      clusterOptions: inputs.clusterOptions,
      registry,
      privilege: inputs.privilege,
      memo: PrivilegeMemo.inDir(s.env.stateDir),
      retainOnFailure: inputs.retain,
      signal: s.signal,
    },
    s.log,
  );
  const resolved = image.resolution();
  const source = { image: resolved?.ref ?? '', imageSource: resolved?.source ?? 'given' };
  if (inputs.json) printJson({ ...result, ...source });
  else printUp(result, source);
}

export async function buildCommand(s: Session, raw: RawBuild): Promise<void> {
  if (raw.job) return buildJobCommand(s, raw);
  const inputs = buildInputs(raw);
  const docker = await s.docker();
  const result = await bake(
    docker,
    {
      ...bakeDefaults(s.env, s.signal),
      k8sVersion: inputs.k8sVersion,
      tag: inputs.tag,
      kubeSource: inputs.kubeSource,
      arch: inputs.arch,
      preload: inputs.preload,
      force: inputs.force,
      ...(inputs.beforeCluster ? { beforeCluster: inputs.beforeCluster } : {}),
      ...(inputs.afterCluster ? { afterCluster: inputs.afterCluster } : {}),
      ...(inputs.registrySecretFile ? { registrySecretFile: inputs.registrySecretFile } : {}),
    },
    s.log,
  );
  if (!result.baked) s.log.info('use --force to bake it anyway');
  if (inputs.json) printJson(result);
  else process.stdout.write(`${result.tag}\n`);
}

export async function waitCommand(s: Session, raw: RawWait): Promise<void> {
  const inputs = waitInputs(raw, s.env);
  const result =
    inputs.by === 'url'
      ? await waitForUrl({ ...inputs, signal: s.signal }, s.log)
      : await waitForCluster(await s.docker(), { ...inputs, signal: s.signal }, s.log);
  if (inputs.json) printJson(result);
  else printWait(result);
}

export async function kubectlPathCommand(s: Session, raw: { name: string }): Promise<void> {
  const name = optionalName(raw.name) ?? 'kind';
  process.stdout.write(`${await cachedKubectl(await s.docker(), name, s.env.cacheDir)}\n`);
}

export async function kubeconfigCommand(
  s: Session,
  raw: { name: string; kubeconfig?: string },
): Promise<void> {
  const name = optionalName(raw.name) ?? 'kind';
  const path = kubeconfigPath(raw.kubeconfig, name, s.env.home);
  process.stdout.write(`${await exportKubeconfig(await s.docker(), name, path)}\n`);
}

export async function downCommand(
  s: Session,
  raw: { name?: string; all?: boolean; kubeconfig?: string; json?: boolean } & RawHost,
): Promise<void> {
  if (raw.all && raw.name !== undefined) throw new UsageError('down: give --name or --all, not both');
  const name = raw.all ? undefined : (optionalName(raw.name) ?? 'kind');
  // A named cluster's default file is cleaned too, as `up` would have written it there.
  const kubeconfig =
    raw.kubeconfig !== undefined || name !== undefined
      ? kubeconfigPath(raw.kubeconfig, name ?? '', s.env.home)
      : undefined;
  const host = hostInputs(raw, s.env.home);
  if (host) return (await import('./host.js')).hostDown(s, host, name, kubeconfig, raw.json === true);
  const result = await down(await s.docker(), name, s.log, kubeconfig ? { kubeconfig } : {});
  if (raw.json) printJson(result);
}

export async function statusCommand(
  s: Session,
  raw: { name?: string; json?: boolean } & RawHost,
): Promise<void> {
  const name = optionalName(raw.name);
  const host = hostInputs(raw, s.env.home);
  if (host) return (await import('./host.js')).hostStatus(s, host, name, raw.json === true);
  const list = await status(await s.docker(), name);
  if (raw.json) printJson(list);
  else printStatus(list);
}

export async function logsCommand(s: Session, raw: { name: string; tail: string } & RawHost): Promise<void> {
  const name = optionalName(raw.name) ?? 'kind';
  const tail = raw.tail === 'all' ? 'all' : Number(raw.tail);
  if (tail !== 'all' && !(Number.isInteger(tail) && tail > 0)) {
    throw new UsageError(`"${raw.tail}" is not a positive number or "all"`, { field: 'tail' });
  }
  const host = hostInputs(raw, s.env.home);
  if (host) return (await import('./host.js')).hostLogs(s, host, name, tail);
  const docker = await s.docker();
  const { findNodes } = await import('../core/cluster/find.js');
  const node = (await findNodes(docker, name))[0];
  if (!node) throw new UsageError(`no cluster named "${name}" (see: kind-action status)`);
  process.stdout.write(await docker.logs(node.Id, tail));
}

/** The detached forwarder of `up --host-kubeconfig` (a hidden command). */
export async function portForwardCommand(s: Session, raw: { name: string } & RawHost): Promise<void> {
  const name = optionalName(raw.name) ?? 'kind';
  const host = hostInputs(raw, s.env.home);
  if (!host) throw new UsageError('is required', { field: 'host-kubeconfig' });
  await (await import('./host.js')).portForward(s, host, name);
}
