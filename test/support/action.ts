import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type ExecOptions, type ExecResult, exec } from './exec.js';

/** The checkout the Action runs from (action.yml, dist/, image/). */
export const ACTION_ROOT = resolve('.');

/** The files a runner gives a step, in one private directory per job. */
export interface RunnerJob {
  dir: string;
  /** Where dist/action/*.js are run from; a copy keeps a long run immune to edits in the worktree. */
  actionRoot: string;
  home: string;
  files: { env: string; output: string; state: string; summary: string; path: string };
  baseEnv: NodeJS.ProcessEnv;
}

const jobDirs: string[] = [];

/** Remove every job directory this process created (kubeconfigs and diagnostics included). */
export function removeRunnerJobs(): void {
  for (const dir of jobDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function runnerJob(extra: NodeJS.ProcessEnv = {}, actionRoot = ACTION_ROOT): RunnerJob {
  const dir = mkdtempSync(join(tmpdir(), 'ka-job-'));
  jobDirs.push(dir);
  const home = join(dir, 'home');
  const files = {
    env: join(dir, 'github_env'),
    output: join(dir, 'github_output'),
    state: join(dir, 'github_state'),
    summary: join(dir, 'step_summary'),
    path: join(dir, 'github_path'),
  };
  for (const f of Object.values(files)) writeFileSync(f, '');
  return {
    dir,
    actionRoot,
    home,
    files,
    baseEnv: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CACHE_HOME: join(home, '.cache'),
      KIND_ACTION_CACHE: join(dir, 'cache'),
      RUNNER_TEMP: join(dir, 'temp'),
      GITHUB_ENV: files.env,
      GITHUB_OUTPUT: files.output,
      GITHUB_STATE: files.state,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_PATH: files.path,
      RUNNER_TOOL_CACHE: join(dir, 'toolcache'),
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      ...extra,
    },
  };
}

/** `with:` values as the runner passes them: INPUT_<NAME> with the name upper-cased. */
export function inputEnv(inputs: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  return env;
}

export function runMain(
  job: RunnerJob,
  inputs: Record<string, string>,
  opts: Pick<ExecOptions, 'onSpawn'> = {},
): Promise<ExecResult> {
  return exec(process.execPath, [join(job.actionRoot, 'dist/action/main.js')], {
    ...opts,
    env: { ...job.baseEnv, ...inputEnv(inputs) },
    cwd: job.dir,
  });
}

/**
 * Post gets main's state back as STATE_<name>, and every variable main
 * exported through GITHUB_ENV (DOCKER_HOST among them), as the runner does.
 */
export function runPost(
  job: RunnerJob,
  inputs: Record<string, string>,
  jobStatus = 'success',
): Promise<ExecResult> {
  const state: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(readCommandFile(job.files.state))) state[`STATE_${k}`] = v;
  return exec(process.execPath, [join(job.actionRoot, 'dist/action/post.js')], {
    env: {
      ...job.baseEnv,
      ...readCommandFile(job.files.env),
      ...inputEnv({ ...inputs, 'job-status': jobStatus }),
      ...state,
    },
    cwd: job.dir,
  });
}

/**
 * The wait sub-action (wait/action.yml) as a later step of the same job: it
 * sees what main exported through GITHUB_ENV, but not main's state.
 */
export function runWait(job: RunnerJob, inputs: Record<string, string>): Promise<ExecResult> {
  return exec(process.execPath, [join(job.actionRoot, 'dist/action/wait.js')], {
    env: { ...job.baseEnv, ...readCommandFile(job.files.env), ...inputEnv(inputs) },
    cwd: job.dir,
  });
}

/**
 * Parse a GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE file: `name<<DELIM`,
 * value lines, `DELIM` (the form @actions/core writes), or `name=value`.
 * A later entry for the same name wins, as on the runner.
 */
export function readCommandFile(path: string): Record<string, string> {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc?.[1] && heredoc[2]) {
      const end = lines.indexOf(heredoc[2], i + 1);
      if (end < 0) throw new Error(`${path}: unterminated value for ${heredoc[1]}`);
      out[heredoc[1]] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}
