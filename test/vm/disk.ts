// The VM lane's disk: built once by build-disk.sh from Debian packages and cached outside the
// repository under <cache>/vm/<recipe hash>/, so a change to the recipe builds a new disk.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const HERE = import.meta.dirname;
const RECIPE = [join(HERE, 'build-disk.sh'), join(HERE, 'rootfs')];

export interface Disk {
  dir: string;
  rootImage: string;
  kernel: string;
  initrd: string;
  /** Seconds spent building it in this run; 0 when it came from the cache. */
  builtSeconds: number;
}

function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** sha256 over every recipe file's path (relative to `base`) and content, in a stable order. */
export function recipeHash(recipe: string[] = RECIPE, base = HERE): string {
  const hash = createHash('sha256');
  const files = recipe.flatMap(filesUnder).sort();
  for (const file of files) {
    hash.update(`${relative(base, file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.KIND_ACTION_CACHE || '/var/cache/kind-action', 'vm');
}

function diskIn(dir: string, builtSeconds: number): Disk {
  return {
    dir,
    rootImage: join(dir, 'root.img'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    builtSeconds,
  };
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code ?? signal}`)),
    );
  });
}

/**
 * The disk for the current recipe: from the cache, or built into `<hash>.tmp-<pid>` and renamed
 * once complete (a half-built folder never has the final name). Stale disks of older recipes and
 * leftovers of interrupted builds are removed.
 */
export async function ensureDisk(root = cacheRoot()): Promise<Disk> {
  const hash = recipeHash();
  const dir = join(root, hash);
  pruneOthers(root, hash);
  if (existsSync(join(dir, 'root.img'))) return diskIn(dir, 0);
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const started = Date.now();
  console.log(`vm-lane: building the VM disk (recipe ${hash}) in ${tmp}`);
  try {
    await run('bash', [join(HERE, 'build-disk.sh'), tmp]);
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return diskIn(dir, Math.round((Date.now() - started) / 1000));
}

/** Remove disks of other recipes and unfinished builds whose process is gone. */
function pruneOthers(root: string, keep: string): void {
  if (!existsSync(root)) return;
  for (const name of readdirSync(root)) {
    const tmp = /^([0-9a-f]{16})\.tmp-(\d+)$/.exec(name);
    if (tmp) {
      if (!processAlive(Number(tmp[2]))) rmSync(join(root, name), { recursive: true, force: true });
    } else if (/^[0-9a-f]{16}$/.test(name) && name !== keep) {
      rmSync(join(root, name), { recursive: true, force: true });
    }
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

if (process.argv[1] === import.meta.filename) {
  const disk = await ensureDisk();
  console.log(JSON.stringify(disk));
}
