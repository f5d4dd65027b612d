import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { type ExecResult, exec, execOk } from './exec.js';
import { buildLabelled, inputsHash, isBuilt } from './local-image.js';

/**
 * gitlab-ci-local (a GitLab CI emulator with Docker-executor semantics), installed from
 * test/fixtures/gitlab-ci-local's lockfile (pinned, integrity-checked by npm ci) into the tools
 * cache, with the Node it needs (22 or later) from the same lockfile.
 */
const FIXTURE = resolve('test/fixtures/gitlab-ci-local');

export interface GitlabCiLocal {
  node: string;
  script: string;
}

export async function ensureGitlabCiLocal(): Promise<GitlabCiLocal> {
  const files = ['package.json', 'package-lock.json'];
  const hash = inputsHash(...files.map((f) => readFileSync(join(FIXTURE, f))));
  const tools = join(process.env.KIND_ACTION_CACHE ?? '/var/cache/kind-action', 'tools');
  const dir = join(tools, `gitlab-ci-local-${hash}`);
  const found: GitlabCiLocal = {
    node: join(dir, 'node_modules/.bin/node'),
    script: join(dir, 'node_modules/gitlab-ci-local/dist/index.js'),
  };
  if (existsSync(found.node) && existsSync(found.script)) return found;
  const partial = `${dir}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  for (const f of files) cpSync(join(FIXTURE, f), join(partial, f));
  await execOk('npm', ['ci', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: partial });
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return found;
}

/** `docker create` flags for what a HostConfig of the capability fallback sets. */
export function fallbackFlags(host: Docker.HostConfig): string[] {
  const flags: string[] = [];
  for (const cap of host.CapAdd ?? []) flags.push('--cap-add', cap);
  for (const cap of host.CapDrop ?? []) flags.push('--cap-drop', cap);
  for (const opt of host.SecurityOpt ?? []) flags.push('--security-opt', opt);
  if (host.MaskedPaths?.length === 0 && host.ReadonlyPaths?.length === 0)
    flags.push('--security-opt', 'systempaths=unconfined');
  for (const rule of host.DeviceCgroupRules ?? []) flags.push('--device-cgroup-rule', rule);
  for (const bind of host.Binds ?? []) flags.push('-v', bind);
  for (const [path, options] of Object.entries(host.Tmpfs ?? {})) flags.push('--tmpfs', `${path}:${options}`);
  for (const mount of host.Mounts ?? [])
    if (mount.Type === 'volume' && !mount.Source) flags.push('--mount', `type=volume,dst=${mount.Target}`);
  return flags;
}

const quote = (word: string): string => `'${word.replaceAll("'", `'"'"'`)}'`;

/**
 * A container executable for gitlab-ci-local (--container-executable) that runs docker with
 * every `--privileged` replaced by `flags`: gitlab-ci-local itself knows only --privileged.
 */
export function writeFallbackExecutable(path: string, flags: string[]): void {
  writeFileSync(
    path,
    [
      '#!/bin/sh',
      '# docker, with --privileged replaced by the capability fallback (see fallbackFlags).',
      'for arg in "$@"; do',
      '  shift',
      '  if [ "$arg" = --privileged ]; then',
      `    set -- "$@" ${flags.map(quote).join(' ')}`,
      '  else',
      '    set -- "$@" "$arg"',
      '  fi',
      'done',
      'exec docker "$@"',
      '',
    ].join('\n'),
  );
  chmodSync(path, 0o755);
}

export interface PipelineRun {
  /** A git work tree holding .gitlab-ci.yml and what it includes (gitlab-ci-local reads git). */
  project: string;
  job: string;
  args: string[];
}

export async function runPipeline(tool: GitlabCiLocal, run: PipelineRun): Promise<ExecResult> {
  return exec(tool.node, [tool.script, ...run.args, run.job], {
    cwd: run.project,
    stdin: 'ignore',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
  });
}

/** A one-commit git repository with these files (gitlab-ci-local includes only tracked files). */
export async function gitProject(dir: string, files: Record<string, string>): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const git = (...args: string[]) =>
    execOk(
      'git',
      ['-c', 'user.name=kind-action-test', '-c', 'user.email=test@kind-action.invalid', ...args],
      {
        cwd: dir,
      },
    );
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'pipeline');
  await git('remote', 'add', 'origin', 'https://gitlab.example.com/group/project.git');
  await git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
}

/**
 * gitlab-ci-local's service health check runs a wait-for-it image (Docker Hub's by default,
 * which cannot be pulled here): the same interface, `HOST:PORT -t SECONDS`, built locally.
 */
export const WAIT_IMAGE = 'kind-action-test/wait-for-it:latest';
const WAIT_SOURCE = resolve('test/fixtures/wait-for-it');

export async function buildWaitImage(): Promise<string> {
  const hash = inputsHash(...['wait-for-it', 'Dockerfile'].map((f) => readFileSync(join(WAIT_SOURCE, f))));
  if (!(await isBuilt(WAIT_IMAGE, hash))) await buildLabelled(WAIT_SOURCE, WAIT_IMAGE, hash);
  return WAIT_IMAGE;
}
