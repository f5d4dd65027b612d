import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { type ExecResult, exec, execOk } from './exec.js';

/** nektos/act, pinned; built from its Go module into the tools cache once. */
export const ACT_VERSION = 'v0.2.89';

function toolsDir(): string {
  return join(process.env.KIND_ACTION_CACHE ?? '/var/cache/kind-action', 'tools', `act-${ACT_VERSION}`);
}

export async function ensureAct(): Promise<string> {
  const bin = join(toolsDir(), 'act');
  if (existsSync(bin)) return bin;
  const partial = join(toolsDir(), `partial-${process.pid}`);
  mkdirSync(partial, { recursive: true });
  await execOk('go', ['install', `github.com/nektos/act@${ACT_VERSION}`], {
    env: { ...process.env, GOBIN: partial, CGO_ENABLED: '0' },
    cwd: partial,
  });
  renameSync(join(partial, 'act'), bin);
  return bin;
}

/**
 * act clones every remote action of a job before its first step (actions/checkout of this
 * repository excepted: the work tree is already there). GitHub cannot be reached here, so the
 * test maps the pinned actions a self-test or bake job uses to local stand-ins.
 */
const STAND_INS: Record<string, string> = {
  'actions/setup-go': resolve('test/fixtures/act/setup-go'),
};

/** `--local-repository owner/repo@sha=dir` for every stand-in the workflow pins. */
export function standInFlags(workflow: string): string[] {
  const mappings = new Set<string>();
  for (const ref of workflowUses(workflow)) {
    const [action, sha] = ref.split('@');
    const dir = action ? STAND_INS[action] : undefined;
    if (dir && sha) mappings.add(`${action}@${sha}=${dir}`);
  }
  return [...mappings].flatMap((m) => ['--local-repository', m]);
}

interface Workflow {
  jobs: Record<string, { steps?: { uses?: string }[] }>;
}

export function readWorkflow(path: string): Workflow {
  return parse(readFileSync(path, 'utf8')) as Workflow;
}

/** Every `uses:` of every job's steps. */
export function workflowUses(path: string): string[] {
  return Object.values(readWorkflow(path).jobs).flatMap((job) =>
    (job.steps ?? []).flatMap((step) => (step.uses ? [step.uses] : [])),
  );
}

export interface ActRun {
  workflow: string;
  job: string;
  event?: string;
  /** key:value filters of the job's matrix. */
  matrix?: string[];
  vars?: Record<string, string>;
  secrets?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  /** The runner's platform labels mapped to the host (act's -self-hosted). */
  platforms: string[];
  actor?: string;
  eventPath?: string;
  cacheServerPath: string;
}

/** Run one job (and the jobs it needs) with act on the host. */
export async function runAct(run: ActRun): Promise<ExecResult> {
  const act = await ensureAct();
  const args = [
    run.event ?? 'push',
    '-W',
    run.workflow,
    '-j',
    run.job,
    ...run.platforms.flatMap((p) => ['-P', `${p}=-self-hosted`]),
    ...(run.matrix ?? []).flatMap((m) => ['--matrix', m]),
    ...Object.entries(run.vars ?? {}).flatMap(([k, v]) => ['--var', `${k}=${v}`]),
    ...Object.keys(run.secrets ?? {}).flatMap((k) => ['-s', k]),
    ...(run.actor ? ['--actor', run.actor] : []),
    ...(run.eventPath ? ['-e', run.eventPath] : []),
    ...standInFlags(run.workflow),
    '--cache-server-path',
    run.cacheServerPath,
  ];
  return exec(act, args, { env: { ...process.env, ...run.env, ...run.secrets }, stdin: 'ignore' });
}
