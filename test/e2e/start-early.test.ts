import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import type { NodeStatus } from '../../src/core/ready/node-status.js';
import {
  readCommandFile,
  removeRunnerJobs,
  runMain,
  runnerJob,
  runPost,
  runWait,
} from '../support/action.js';
import { cli, isolatedEnv } from '../support/cli.js';
import { hostPort, leftovers, NOTHING } from '../support/docker.js';
import { execOk } from '../support/exec.js';
import { contextsOf, THEIRS } from '../support/kubeconfigs.js';
import { E2E_K8S } from '../support/node-image-setup.js';

/**
 * The seed's flow through the Action, against the real node: main returns
 * once the node's Docker answers (`wait-for: docker`) while Kubernetes still
 * boots, a kubectl of the cluster's version is on PATH from the tool cache,
 * and the wait sub-action finishes the start, merging the kubeconfig into
 * ~/.kube/config next to a context that was already there.
 */
const image = inject('nodeImage');
const NAME = 'early';
const NAME2 = 'early-2';
/** The runner's tool cache, shared by the jobs below as by jobs on one self-hosted runner. */
let toolCache = '';
const cacheDir = mkdtempSync(join(tmpdir(), 'ka-kubectl-cache-'));

afterAll(async () => {
  for (const name of [NAME, NAME2]) await cli(['down', '--name', name], isolatedEnv());
  removeRunnerJobs();
  rmSync(cacheDir, { recursive: true, force: true });
  expect(await leftovers(NAME)).toEqual(NOTHING);
  expect(await leftovers(NAME2)).toEqual(NOTHING);
});

interface Versions {
  clientVersion: { gitVersion: string };
  serverVersion?: { gitVersion: string };
}

async function kubectlVersion(kubectl: string, args: string[]): Promise<Versions> {
  return JSON.parse(await execOk(kubectl, ['version', '-o', 'json', ...args])) as Versions;
}

describe('start early, wait late, with kubectl from the tool cache', () => {
  test('main returns before Kubernetes is ready; the wait step finishes; kubectl answers with the cluster version', async () => {
    const job = runnerJob();
    const kubeconfig = join(job.home, '.kube', 'config');
    mkdirSync(join(job.home, '.kube'), { recursive: true });
    writeFileSync(kubeconfig, THEIRS);
    const inputs = { name: NAME, image, 'wait-for': 'docker', kubeconfig: '~/.kube/config' };

    const r = await runMain(job, inputs);
    const exitedAt = performance.now();
    expect(r.code, r.stdout).toBe(0);
    const readyUrl = `http://127.0.0.1:${await hostPort(`kind-action-${NAME}`, 10080)}`;
    const [probe, status] = await Promise.all([
      fetch(`${readyUrl}/kubernetes-ready`),
      fetch(`${readyUrl}/status`).then((res) => res.json() as Promise<NodeStatus>),
    ]);
    const askedAt = performance.now();
    // Where main's exit falls on the node's own clock (seconds since it started).
    const exitOnNode = status.uptimeSeconds - (askedAt - exitedAt) / 1000;
    if (probe.status === 200) {
      // Ready within the moments it took to ask: the node says it became ready after main exited.
      expect(status.kubernetes.readySeconds ?? 0).toBeGreaterThan(exitOnNode);
    } else {
      expect(probe.status).toBe(503);
      expect(status.kubernetes.ok).toBe(false);
    }
    expect(status.docker.ok).toBe(true);

    // The node's Docker already serves the job (what the job builds against).
    const exported = readCommandFile(job.files.env);
    expect(exported.KUBECONFIG).toBeUndefined();
    expect(
      await execOk('docker', [
        '-H',
        exported.DOCKER_HOST ?? '',
        'version',
        '--format',
        '{{.Server.Version}}',
      ]),
    ).toMatch(/^\d+\./);
    expect(contextsOf(kubeconfig)).toEqual(['theirs']);

    // kubectl is left to the wait step, which copies it out while the cluster boots.
    expect(readFileSync(job.files.path, 'utf8')).toBe('');

    const w = await runWait(job, { name: NAME });
    expect(w.code, w.stdout).toBe(0);
    expect(readCommandFile(job.files.env).KUBECONFIG).toBe(kubeconfig);

    // kubectl: on PATH from the runner's tool cache, the cluster's version.
    toolCache = job.baseEnv.RUNNER_TOOL_CACHE ?? '';
    const toolDir = join(toolCache, 'kubectl', E2E_K8S, process.arch);
    expect(readFileSync(job.files.path, 'utf8').trim()).toBe(toolDir);
    const kubectl = join(toolDir, 'kubectl');
    expect((await kubectlVersion(kubectl, ['--client'])).clientVersion.gitVersion).toBe(`v${E2E_K8S}`);

    expect(contextsOf(kubeconfig)).toEqual(['theirs', `kind-${NAME}`]);
    const versions = await kubectlVersion(kubectl, ['--kubeconfig', kubeconfig, '--request-timeout=30s']);
    expect(versions.serverVersion?.gitVersion).toBe(`v${E2E_K8S}`);
    expect(versions.clientVersion.gitVersion).toBe(`v${E2E_K8S}`);
    expect(readFileSync(job.files.summary, 'utf8')).toMatch(/[\d.]+s of its boot ran alongside your steps/);

    // The CLI's kubectl-path: taken out of the node once, then the same file.
    const env = isolatedEnv({ KIND_ACTION_CACHE: cacheDir });
    const first = await cli(['kubectl-path', '--name', NAME], env);
    expect(first.code, first.stderr).toBe(0);
    const path = first.stdout.trim();
    expect(path).toBe(join(cacheDir, 'kubectl', `v${E2E_K8S}-amd64`, 'kubectl'));
    const stat = statSync(path);
    const again = await cli(['kubectl-path', '--name', NAME], env);
    expect(again.stdout.trim()).toBe(path);
    expect(statSync(path)).toMatchObject({ ino: stat.ino, ctimeMs: stat.ctimeMs });
    expect((await kubectlVersion(path, ['--kubeconfig', kubeconfig])).serverVersion?.gitVersion).toBe(
      `v${E2E_K8S}`,
    );

    // Post removes the cluster and only its entries.
    const p = await runPost(job, inputs);
    expect(p.code).toBe(0);
    expect(await leftovers(NAME)).toEqual(NOTHING);
    expect(contextsOf(kubeconfig)).toEqual(['theirs']);
  });

  test('wait-for: kubernetes on a runner whose tool cache has that kubectl: main puts it on PATH from there', async () => {
    expect(toolCache).not.toBe('');
    const job = runnerJob({ RUNNER_TOOL_CACHE: toolCache });
    const r = await runMain(job, { name: NAME2, image });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`kubectl ${E2E_K8S} from the tool cache`);
    const toolDir = join(toolCache, 'kubectl', E2E_K8S, process.arch);
    expect(readFileSync(job.files.path, 'utf8').trim()).toBe(toolDir);
    const kubeconfig = readCommandFile(job.files.env).KUBECONFIG ?? '';
    const versions = await kubectlVersion(join(toolDir, 'kubectl'), ['--kubeconfig', kubeconfig]);
    expect(versions.serverVersion?.gitVersion).toBe(`v${E2E_K8S}`);
    expect((await runPost(job, { name: NAME2 })).code).toBe(0);
    expect(await leftovers(NAME2)).toEqual(NOTHING);
  });
});
