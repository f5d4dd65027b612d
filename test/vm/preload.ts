// A qcow2 layer over the lane's disk with the node image already in the guest's Docker, so a lane
// run boots straight into its cases instead of spending minutes in an emulated `docker load`.
// Keyed by the disk's recipe hash, the bake's context hash (the image label that names what went
// into the bake) and the reference the guest will use: a rebake of the same inputs under the same
// name reuses the layer, a change to either loads afresh.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { execOk } from '../support/exec.js';
import type { Disk } from './disk.js';
import { dockerLocked, savedImage } from './image.js';
import { boot, type VmSpec } from './qemu.js';

export interface Preloaded {
  /** qcow2 file to back each run's overlay with (format qcow2). */
  layer: string;
  /** Seconds spent building the layer in this run (boot + load); 0 when it came from the cache. */
  builtSeconds: number;
  /** Seconds the guest's `docker load` took, when the layer was built in this run. */
  loadSeconds?: number;
}

/** The image's bake context hash, or its id when it carries none (an image not baked by us). */
async function imageKey(image: string): Promise<string> {
  const out = await dockerLocked([
    'image',
    'inspect',
    '--format',
    '{{index .Config.Labels "io.kind-action.context-hash"}} {{.Id}}',
    image,
  ]);
  const [hash, id] = out.trim().split(' ');
  return (hash || (id ?? '').replace(/^sha256:/, '')).slice(0, 16);
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
  const ref = createHash('sha256').update(image).digest('hex').slice(0, 8);
  const layer = join(dir, `${basename(disk.dir)}-${await imageKey(image)}-${ref}.qcow2`);
  for (const name of readdirSync(dir)) {
    if (join(dir, name) !== layer) rmSync(join(dir, name), { force: true, recursive: true });
  }
  if (existsSync(layer)) return { layer, builtSeconds: 0 };

  const started = Date.now();
  const work = mkdtempSync(join(dir, `.build-${process.pid}-`));
  try {
    const share = join(work, 'share');
    mkdirSync(join(share, 'out'), { recursive: true });
    const saved = await savedImage(root, image);
    renameSync(saved.tar, join(share, 'node-image.tar'));
    writeFileSync(join(share, 'guest.mjs'), preloadGuest(image));
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
      builtSeconds: Math.round((Date.now() - started) / 1000),
      ...(loadSeconds === undefined ? {} : { loadSeconds }),
    };
  } catch (err) {
    if (signal.aborted) rmSync(work, { recursive: true, force: true });
    throw err;
  }
}
