import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ForwardedPorts } from './access.js';
import type { PodRef } from './probes.js';

export interface ForwarderRecord {
  pid: number;
  pod: string;
  namespace: string;
  server: string;
  ports: ForwardedPorts;
}

/**
 * Which detached forwarder serves which pod, one JSON file each in the state
 * directory, so `down` on this machine can stop it (it also ends by itself
 * once its pod is gone).
 */
export class ForwarderRecords {
  constructor(private readonly dir: string) {}

  /** Pure: one file name per host cluster, namespace and pod. */
  key(server: string, pod: PodRef): string {
    const host = createHash('sha256').update(server).digest('hex').slice(0, 12);
    return `${host}-${pod.namespace}-${pod.name}.json`;
  }

  async write(key: string, record: ForwarderRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, `${key}.${record.pid}.tmp`);
    await writeFile(tmp, JSON.stringify(record), { mode: 0o600 });
    await rename(tmp, join(this.dir, key));
  }

  async read(key: string): Promise<ForwarderRecord | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, key), 'utf8')) as ForwarderRecord;
    } catch {
      return undefined;
    }
  }

  /** Remove the record, if it is still this process's. */
  async remove(key: string, pid: number): Promise<void> {
    const record = await this.read(key);
    if (record?.pid === pid) await rm(join(this.dir, key), { force: true });
  }

  /** Records of one host cluster's namespace (every pod, or the one named). */
  async list(
    server: string,
    namespace: string,
    pod?: string,
  ): Promise<{ key: string; record: ForwarderRecord }[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const found: { key: string; record: ForwarderRecord }[] = [];
    for (const key of names.filter((n) => n.endsWith('.json'))) {
      const record = await this.read(key);
      if (!record || record.server !== server || record.namespace !== namespace) continue;
      if (pod === undefined || record.pod === pod) found.push({ key, record });
    }
    return found;
  }

  /**
   * Stop a recorded forwarder (SIGTERM) when the process is still one: a pid
   * reused by something else is left alone. The record goes either way.
   */
  async stop(key: string, isForwarder: (pid: number) => Promise<boolean>): Promise<boolean> {
    const record = await this.read(key);
    if (!record) return false;
    let stopped = false;
    if (await isForwarder(record.pid)) {
      try {
        process.kill(record.pid, 'SIGTERM');
        stopped = true;
      } catch {
        /* already gone */
      }
    }
    await rm(join(this.dir, key), { force: true });
    return stopped;
  }
}

/** Whether `pid` is a live kind-action forwarder (Linux: its command line says so; elsewhere: alive). */
export async function isForwarderProcess(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline === undefined || cmdline.split('\0').includes('port-forward');
}
