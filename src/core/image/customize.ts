import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildImage, waitForExit } from '../bake/docker-steps.js';
import { nodeEndpoints } from '../cluster/endpoints.js';
import { planPorts } from '../cluster/ports.js';
import { type PrivilegeChoice, type PrivilegeMemo, startNode } from '../cluster/privilege.js';
import { DockerClient, type RegistryAuth } from '../docker/client.js';
import { copyFileOut } from '../docker/copy-out.js';
import { BakeError, errorMessage, throwIfAborted } from '../errors.js';
import { LABEL, resourceLabels } from '../labels.js';
import type { Logger } from '../logger.js';
import { customizeWithHooks, type HookFiles } from './customize-hooks.js';

/** Where the node keeps its image store between starts (image/agent: store.go). */
export const STORE_SEED = '/kind/store-seed/containerd.tar.zst';
const CONTAINERD_ROOT = '/var/lib/docker/containerd';
/** GNU tar's flags for the seed, as the node's agent writes and reads it. */
const SEED_TAR = ['--zstd', '--xattrs', '--xattrs-include=*'];
const DOCKER_READY_MS = 120_000;

/**
 * While the customizing node runs, the API server is kept from starting (it
 * refuses an unknown argument, and the agent restarts it with backoff): no
 * pod is scheduled, so the node's image store ends up holding images only, as
 * after a bake, and nothing of the cluster's state is kept (the image is
 * built from the published one plus the new store). The addons stay off.
 */
export const CUSTOMIZING_ENV: Record<string, string> = {
  KIND_CLUSTER_OPTIONS: JSON.stringify({ args: { 'kube-apiserver': ['--kind-action-customizing'] } }),
  KIND_NO_STORAGE: '1',
  KIND_NO_NETWORK_POLICY: '1',
};

export interface CustomizeOptions {
  /** The published node image, present locally (REPOSITORY:vX.Y.Z). */
  base: string;
  /** It, by digest, for the new image's label. */
  basePinned: string;
  /** The customized image's tag. */
  tag: string;
  preload: readonly string[];
  /** Hook files to run as a bake would; with any, the agent's `customize` mode makes the image. */
  hooks?: HookFiles | undefined;
  /** Credentials for a preload's registry (by its reference), if any. */
  authFor: (ref: string) => Promise<RegistryAuth | undefined>;
  privilege: PrivilegeChoice;
  memo: PrivilegeMemo;
  signal: AbortSignal;
}

/**
 * The published node image with the user's preload images added, built
 * without a bake: start the published node (its image store unpacks into its
 * volume), load each preload image into its Docker (taken from this Docker,
 * pulled first when absent), stop it, tar the store as the node's seed, and
 * build `FROM base` + that seed. The new image is the published one plus one
 * layer, so only that layer needs caching. With hooks, see customizeWithHooks.
 */
export async function customizeImage(
  docker: DockerClient,
  opts: CustomizeOptions,
  log: Logger,
): Promise<void> {
  if (opts.hooks && Object.keys(opts.hooks).length > 0) {
    return customizeWithHooks(docker, { ...opts, hooks: opts.hooks }, log);
  }
  const session = randomBytes(6).toString('hex');
  const cluster = `customize-${session}`;
  const made: string[] = [];
  const ctx = await mkdtemp(join(tmpdir(), 'kind-action-customize-'));
  try {
    const info = await docker.info();
    const node = await startNode(
      docker,
      info.ID ?? 'unknown',
      {
        cluster,
        session,
        image: opts.base,
        ports: planPorts([], '127.0.0.1'),
        env: CUSTOMIZING_ENV,
        cgroupVersion: info.CgroupVersion === '2' ? '2' : '1',
      },
      opts.privilege,
      opts.memo,
      log,
      (id) => {
        if (id) made.push(id);
      },
    );
    const inspected = await docker.inspectContainer(node.id);
    if (!inspected) throw new BakeError(`the customizing node ${node.id.slice(0, 12)} is gone`);
    const where = nodeEndpoints(inspected, docker.endpoint);
    await dockerReady(where.readyUrl, opts.signal);
    const [host = '127.0.0.1', port = '0'] = where.dockerHost.replace('tcp://', '').split(/:(?=\d+$)/);
    const inner = await DockerClient.connect(
      { kind: 'tcp', host, port: Number(port), tls: undefined, source: 'the node being customized' },
      log,
    );
    for (const ref of opts.preload) {
      throwIfAborted(opts.signal);
      if (!(await docker.imageExists(ref))) await docker.pull(ref, opts.signal, await opts.authFor(ref));
      log.info(`loading preload image ${ref} into the node`);
      await inner.images().load(await docker.images().save(ref));
    }
    await idNamesGone(docker, node.id);
    await docker.stopContainer(node.id, 10);
    await saveSeed(docker, node.id, cluster, session, join(ctx, 'containerd.tar.zst'), made, opts.signal);
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${opts.base}\nCOPY containerd.tar.zst ${STORE_SEED}\n`);
    await buildImage(
      docker,
      ctx,
      ['Dockerfile', 'containerd.tar.zst'],
      opts.tag,
      { [LABEL.managed]: 'true', 'io.kind-action.base': opts.basePinned },
      log,
    );
    log.info(`customized ${opts.basePinned} with ${opts.preload.length} preload image(s) as ${opts.tag}`);
  } finally {
    for (const id of made.reverse())
      await docker.removeContainer(id).catch((err: unknown) => log.warn(errorMessage(err)));
    await rm(ctx, { recursive: true, force: true });
  }
}

/** Tar the stopped node's containerd root (its volume) into `dest` with a helper container. */
async function saveSeed(
  docker: DockerClient,
  nodeId: string,
  cluster: string,
  session: string,
  dest: string,
  made: string[],
  signal: AbortSignal,
): Promise<void> {
  const image = (await docker.inspectContainer(nodeId))?.Image;
  if (!image) throw new BakeError('the customizing node is gone');
  const id = await docker.createContainer({
    Image: image,
    name: `kind-action-${cluster}-seed`,
    Labels: resourceLabels(cluster, session),
    Entrypoint: ['tar'],
    Cmd: [...SEED_TAR, '-C', CONTAINERD_ROOT, '-cf', STORE_SEED, '.'],
    // Reading the snapshots' trusted.overlay.* attributes needs CAP_SYS_ADMIN.
    HostConfig: { VolumesFrom: [nodeId], CapAdd: ['SYS_ADMIN'], SecurityOpt: ['apparmor=unconfined'] },
  });
  made.push(id);
  await docker.startContainer(id);
  const code = await waitForExit(docker, id, signal);
  if (code !== 0) {
    throw new BakeError(`saving the node's image store exited with ${code}: ${await docker.logs(id, 20)}`);
  }
  if (!(await copyFileOut(docker, id, STORE_SEED, dest)))
    throw new BakeError('the image store was not saved');
}

/** Poll the node's /docker-ready until it answers 200. */
async function dockerReady(readyUrl: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + DOCKER_READY_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    throwIfAborted(signal);
    try {
      const res = await fetch(`${readyUrl}/docker-ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return;
      last = `${res.status} ${(await res.text()).trim()}`;
    } catch (err) {
      last = errorMessage(err);
    }
    await sleep(200);
  }
  throw new BakeError(
    `the customizing node's Docker did not answer within ${DOCKER_READY_MS / 1000}s (${last})`,
  );
}

const IMAGE_ID_NAME = /^sha256:[0-9a-f]{64}$/m;

/**
 * Wait (at most 5 s) until the node's agent has removed the second name the
 * CRI gives each new image (its configuration digest; image/agent/idrefs.go),
 * so the saved store does not carry one: the agent removes those names as
 * they appear, not at start.
 */
async function idNamesGone(docker: DockerClient, id: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    const r = await docker.exec(id, ['ctr', '-n', 'k8s.io', 'images', 'ls', '-q'], { timeoutMs: 10_000 });
    if (r.code === 0 && !IMAGE_ID_NAME.test(r.output)) return;
    await sleep(250);
  }
}
