import { spawn } from 'node:child_process';

/** How often `sync` is started again once the previous one returns. */
const FLUSH_INTERVAL_MS = 300;

/**
 * Run `work` while the kernel is kept writing dirty pages to disk (`sync`
 * in a loop). `docker import` writes the whole image into the page cache
 * while the daemon is busy unpacking and hashing it, and the disk stays idle;
 * the first container created afterwards then waits for all of it, because
 * Docker syncs its metadata (1.3–1.6 s for the 560 MB node image on the
 * development VM). Flushing during the import overlaps the two. Only useful
 * when the daemon shares this machine's kernel (a local socket); `sync`
 * missing is not an error, the work just runs without it.
 */
export async function flushWhile<T>(work: () => Promise<T>): Promise<T> {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    if (stopped) return;
    const child = spawn('sync', [], { stdio: 'ignore' });
    child.on('error', () => {
      stopped = true;
    });
    child.on('exit', () => {
      if (!stopped) timer = setTimeout(next, FLUSH_INTERVAL_MS);
    });
  };
  next();
  try {
    return await work();
  } finally {
    stopped = true;
    if (timer) clearTimeout(timer);
  }
}
