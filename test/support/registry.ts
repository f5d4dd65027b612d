import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { exec, execOk } from './exec.js';
import { buildLabelled, goBuild, inputsHash, isBuilt } from './local-image.js';

const SOURCE = resolve('test/fixtures/registry');
const SOURCES = ['go.mod', 'go.sum', 'main.go', 'Dockerfile'];
export const REGISTRY_IMAGE = 'kind-action-test/registry:latest';
const READY_TIMEOUT_MS = 60_000;

export interface RegistryOptions {
  /** Require HTTP basic auth with exactly this user and password. */
  user?: string;
  password?: string;
  /** Local images to `docker save` and push into the registry as `ref` (REPO:TAG) before it is ready. */
  seed?: { image: string; ref: string }[];
  /** REPO:TAG names to fill with an image of one random layer (so no daemon has it yet). */
  random?: string[];
  /** Blob GETs send a few bytes, then block until the client goes away. */
  stallBlobs?: boolean;
  /** A `docker run --network` value, e.g. `container:<id>` to share a node's network namespace. */
  network?: string;
  /** Publish port 5000 on a random 127.0.0.1 port, returned as hostPort. */
  publish?: boolean;
}

export interface RunningRegistry {
  id: string;
  hostPort?: number;
  /** Force-remove the container with its volumes, and the seed directory. */
  stop(): Promise<void>;
}

/**
 * Build the in-memory registry image once per source change: a static Go
 * binary (go-containerregistry's pkg/registry) in a FROM-scratch image.
 */
export async function buildRegistryImage(): Promise<string> {
  const hash = inputsHash(...SOURCES.map((file) => readFileSync(join(SOURCE, file))));
  if (await isBuilt(REGISTRY_IMAGE, hash)) return REGISTRY_IMAGE;
  const ctx = mkdtempSync(join(tmpdir(), 'ka-registry-build-'));
  try {
    cpSync(join(SOURCE, 'Dockerfile'), join(ctx, 'Dockerfile'));
    await goBuild(SOURCE, join(ctx, 'registry'));
    await buildLabelled(ctx, REGISTRY_IMAGE, hash);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  return REGISTRY_IMAGE;
}

/**
 * Run the test registry in a container labelled io.kind-action.test=registry
 * (never the managed label, so `kind-action down --all` leaves it alone) and
 * wait until it says ready, i.e. after every seed image was pushed.
 */
export async function startRegistry(opts: RegistryOptions = {}): Promise<RunningRegistry> {
  const image = await buildRegistryImage();
  const name = `ka-test-registry-${randomBytes(6).toString('hex')}`;
  const seedDir = mkdtempSync(join(tmpdir(), 'ka-registry-seed-'));
  let id: string | undefined;
  const stop = async (): Promise<void> => {
    await exec('docker', ['rm', '-f', '-v', id ?? name]);
    rmSync(seedDir, { recursive: true, force: true });
  };
  try {
    const args = ['run', '-d', '--name', name, '--label', 'io.kind-action.test=registry'];
    const cmd: string[] = [];
    for (const [i, seed] of (opts.seed ?? []).entries()) {
      const file = `seed-${i}.tar`;
      await execOk('docker', ['save', '-o', join(seedDir, file), seed.image]);
      cmd.push('--seed', `/seed/${file}=${seed.ref}`);
    }
    if (opts.seed?.length) args.push('-v', `${seedDir}:/seed:ro`);
    if (opts.network) args.push('--network', opts.network);
    if (opts.publish) args.push('-p', '127.0.0.1::5000');
    if (opts.user !== undefined || opts.password !== undefined)
      cmd.push('--user', opts.user ?? '', '--password', opts.password ?? '');
    for (const ref of opts.random ?? []) cmd.push('--random', ref);
    if (opts.stallBlobs) cmd.push('--stall-blobs');
    id = (await execOk('docker', [...args, image, ...cmd])).trim();

    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const logs = await exec('docker', ['logs', id]);
      if (/^ready$/m.test(logs.stdout)) break;
      const running = (await execOk('docker', ['inspect', '-f', '{{.State.Running}}', id])).trim();
      if (running !== 'true' || Date.now() > deadline) {
        throw new Error(
          `registry ${name} ${running === 'true' ? 'not ready in time' : 'exited'}:\n${logs.stderr}${logs.stdout}`,
        );
      }
      await sleep(100);
    }

    if (!opts.publish) return { id, stop };
    const mapped = (await execOk('docker', ['port', id, '5000/tcp'])).trim().split('\n')[0] ?? '';
    const hostPort = Number(mapped.slice(mapped.lastIndexOf(':') + 1));
    if (!Number.isInteger(hostPort) || hostPort <= 0)
      throw new Error(`registry ${name}: no host port in "${mapped}"`);
    return { id, hostPort, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
