import { spawn } from 'node:child_process';
import { abortError, KindActionError } from './errors.js';
import type { Logger } from './logger.js';

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  signal?: AbortSignal;
  /** Each stderr line goes here (progress from build scripts). */
  onLine?: (line: string) => void;
}

export class ProcessError extends KindActionError {}

/**
 * Run a program with an argument vector (never through a shell), collecting
 * stdout. A signal kills the child's process group and rejects.
 */
export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(abortError(opts.signal));
      return;
    }
    const child = spawn(cmd, args, {
      env: opts.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let pending = '';
    const tail: string[] = [];
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 30) tail.shift();
        opts.onLine?.(line);
      }
    });
    const onAbort = (): void => {
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (err) => reject(new ProcessError(`${cmd}: ${err.message}`, { cause: err })));
    child.on('close', (code) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) reject(abortError(opts.signal));
      else if (code === 0) resolve(stdout);
      else reject(new ProcessError(`${cmd} exited with ${code}:\n${[...tail, pending].join('\n').trim()}`));
    });
  });
}

/** A line-callback that shows script progress as the logger's progress line. */
export function progressLines(log: Logger, prefix: string): (line: string) => void {
  return (line) => {
    if (line.trim()) log.progress(`${prefix}${line.trim()}`);
  };
}
