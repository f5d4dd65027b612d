// Guest-side helpers that drive the CLI bundle, the guest's Docker and kubectl.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { UpResult } from '../../../src/core/cluster/up.js';
import { exec, execOk } from '../../support/exec.js';

export const SHARE = '/lane';
export const CLI = join(SHARE, 'cli', 'index.js');
const WORK = '/tmp/vm-lane';

/** What `up --json` prints. */
export type UpJson = Pick<
  UpResult,
  'name' | 'containerId' | 'kubeconfig' | 'dockerHost' | 'readySeconds' | 'privilege'
>;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Run the CLI bundle with the guest's node, as a user would. */
export async function cli(args: string[]): Promise<CliRun> {
  mkdirSync(WORK, { recursive: true });
  const started = Date.now();
  const r = await exec(process.execPath, [CLI, ...args], {
    stdin: 'ignore',
    env: { ...process.env, KIND_ACTION_CACHE: join(WORK, 'cache') },
  });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, seconds: (Date.now() - started) / 1000 };
}

export async function up(name: string, image: string, extra: string[] = []): Promise<UpJson & CliRun> {
  const kubeconfig = join(WORK, `${name}.kubeconfig`);
  const r = await cli([
    'up',
    '--name',
    name,
    '--image',
    image,
    '--kubeconfig',
    kubeconfig,
    '--timeout',
    '900s',
    '--json',
    ...extra,
  ]);
  assert.equal(r.code, 0, `up failed:\n${r.stderr.slice(-4000)}`);
  return { ...(JSON.parse(r.stdout) as UpJson), ...r };
}

export function docker(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return execOk('docker', args, { env, stdin: 'ignore' });
}

export async function inspect(id: string): Promise<{
  State: { Running: boolean; ExitCode: number; OOMKilled: boolean };
  HostConfig: { Privileged: boolean; CgroupnsMode: string };
}> {
  const out = await docker(['inspect', id]);
  const [first] = JSON.parse(out) as [Awaited<ReturnType<typeof inspect>>];
  return first;
}

/** The node's own kubectl, copied out of the image (links followed), as a directory for kubectl.ts. */
export async function kubeBinFrom(containerId: string): Promise<string> {
  const dir = join(WORK, 'kube-bin');
  mkdirSync(dir, { recursive: true });
  await docker(['cp', '-L', `${containerId}:/kind/bin/kubectl`, join(dir, 'kubectl')]);
  return dir;
}

/** Names of everything carrying the tool's labels for a cluster, or the whole daemon's ids. */
export async function resources(filter?: string): Promise<string[]> {
  const f = filter ? ['--filter', `label=${filter}`] : [];
  const [c, v, n] = await Promise.all([
    docker(['ps', '-aq', '--no-trunc', ...f]),
    docker(['volume', 'ls', '-q', ...f]),
    docker(['network', 'ls', '-q', '--no-trunc', ...f]),
  ]);
  const lines = (s: string, kind: string) =>
    s
      .split('\n')
      .filter(Boolean)
      .map((l) => `${kind} ${l}`);
  return [...lines(c, 'container'), ...lines(v, 'volume'), ...lines(n, 'network')].sort();
}

export async function hostPort(containerId: string, nodePort: number): Promise<string> {
  const out = await docker(['port', containerId, `${nodePort}/tcp`]);
  const first = out.split('\n').find((l) => l.startsWith('127.0.0.1:'));
  assert.ok(first, `no 127.0.0.1 binding for ${nodePort}: ${out}`);
  return first.split(':')[1] ?? '';
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
