import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  input?: string;
  /**
   * 'ignore' gives the child /dev/null as stdin. Node's 'pipe' is a socket, and
   * Debian's bash then behaves as if started by sshd (reads ~/.bashrc, not $BASH_ENV).
   */
  stdin?: 'pipe' | 'ignore';
  /** Called once the child is running, e.g. to send it a signal later. */
  onSpawn?: (child: ReturnType<typeof spawn>) => void;
  /** Called with stderr as it arrives. */
  onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
}

/** Run a real process and collect its output; never throws on a non-zero exit. */
export function exec(cmd: string, args: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const stdio = [opts.stdin ?? 'pipe', 'pipe', 'pipe'] as const;
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: [...stdio] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      opts.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
    opts.onSpawn?.(child);
  });
}

export async function execOk(cmd: string, args: string[], opts: ExecOptions = {}): Promise<string> {
  const r = await exec(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
