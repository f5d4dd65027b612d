// A qcow2 layer over the lane's disk with the node image already in the guest's Docker, so a lane
// run boots straight into its cases instead of spending minutes in an emulated `docker load`.
// Keyed by the disk's recipe hash and the bake's context hash (the image label that names what went
// into the bake): a rebake of the same inputs reuses the layer, a change to them loads afresh. The
// image is resolved to its id once and handed to the guest under a name of the lane's own
// (kind-action/node-under-test:<key>), so a tag that moves on this host meanwhile changes nothing.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execOk } from '../support/exec.js';
import type { Disk } from './disk.js';
import { dockerLocked, savedImage } from './image.js';
import { boot, type VmSpec } from './qemu.js';

export interface Preloaded {
  /** qcow2 file to back each run's overlay with (format qcow2). */
  layer: string;
  /** The node image's name inside the guest. */
  guestRef: string;
  /** Seconds spent building the layer in this run (boot + load); 0 when it came from the cache. */
  builtSeconds: number;
  /** Seconds the guest's `docker load` took, when the layer was built in this run. */
  loadSeconds?: number;
}

/** The image's id, and its bake context hash (or the id, for an image not baked by us). */
async function imageKey(image: string): Promise<{ key: string; id: string }> {
  const out = await dockerLocked([
    'image',
    'inspect',
    '--format',
    '{{index .Config.Labels "io.kind-action.context-hash"}} {{.Id}}',
    image,
  ]);
  const [hash, id = ''] = out.trim().split(' ');
  return { key: (hash || id.replace(/^sha256:/, '')).slice(0, 16), id };
}

/** The guest program of a preload boot: check the image is there, record its id, exit. */
function preloadGuest(image: string): string {
  return `import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const id = execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', ${JSON.stringify(image)}]).toString().trim();
writeFileSync('/lane/out/preloaded', id);
`;
}

export async function preloadedLayer(
  root: string,
  disk: Disk,
  image: string,
  vm: Omit<VmSpec, 'disk' | 'share' | 'console'>,
  deadlineMs: number,
  signal: AbortSignal,
  progress: (line: string) => void,
): Promise<Preloaded> {
  const dir = join(root, 'preloaded');
  mkdirSync(dir, { recursive: true });
  const { key, id } = await imageKey(image);
  const guestRef = `kind-action/node-under-test:${key}`;
  const layer = join(dir, `${basename(disk.dir)}-${key}.qcow2`);
  for (const name of readdirSync(dir)) {
    if (join(dir, name) !== layer) rmSync(join(dir, name), { force: true, recursive: true });
  }
  if (existsSync(layer)) return { layer, guestRef, builtSeconds: 0 };
  signal.throwIfAborted();

  const started = Date.now();
  const work = mkdtempSync(join(dir, `.build-${process.pid}-`));
  try {
    const share = join(work, 'share');
    mkdirSync(join(share, 'out'), { recursive: true });
    await dockerLocked(['tag', id, guestRef]);
    const saved = await savedImage(root, guestRef).finally(() => dockerLocked(['rmi', guestRef]));
    signal.throwIfAborted();
    renameSync(saved.tar, join(share, 'node-image.tar'));
    writeFileSync(join(share, 'guest.mjs'), preloadGuest(guestRef));
    const tmp = join(work, 'layer.qcow2');
    await execOk('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', disk.rootImage, '-F', 'raw', tmp]);
    progress(`vm-lane: loading ${image} into a cached disk layer (once per bake)`);
    const result = await boot(
      { ...vm, disk: tmp, share, console: join(work, 'console.log') },
      deadlineMs,
      signal,
      progress,
    );
    if (result.timedOut || !existsSync(join(share, 'out', 'preloaded'))) {
      throw new Error(
        `the preload boot ${result.timedOut ? 'hit the deadline' : `ended (QEMU ${result.code})`} without loading ${image}; console: ${join(work, 'console.log')} (kept until the next lane run)`,
      );
    }
    renameSync(tmp, layer);
    const load = join(share, 'out', 'load-seconds');
    const loadSeconds = existsSync(load) ? Number((await execOk('cat', [load])).trim()) : undefined;
    rmSync(work, { recursive: true, force: true });
    return {
      layer,
      guestRef,
      builtSeconds: Math.round((Date.now() - started) / 1000),
      ...(loadSeconds === undefined ? {} : { loadSeconds }),
    };
  } catch (err) {
    // Interrupted: nothing to keep. Failed: the console stays for reading until the next run.
    if (signal.aborted) rmSync(work, { recursive: true, force: true });
    throw err;
  }
}
