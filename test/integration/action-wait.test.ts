import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import {
  readCommandFile,
  removeRunnerJobs,
  runMain,
  runnerJob,
  runPost,
  runWait,
} from '../support/action.js';
import { cli, isolatedEnv } from '../support/cli.js';
import { leftovers, NOTHING } from '../support/docker.js';
import { fakeNodeImage } from '../support/fake-node.js';
import { contextsOf, THEIRS } from '../support/kubeconfigs.js';

/**
 * `wait-for: docker` and the wait sub-action, with the readiness-protocol
 * test node (Docker ready after 1 s, Kubernetes after 3 s, or never): main
 * and wait/action.yml's entry as real processes, as a runner runs them.
 */
const NAMES = ['aw-slow', 'aw-never'];

afterAll(async () => {
  removeRunnerJobs();
  const env = isolatedEnv();
  for (const name of NAMES) await cli(['down', '--name', name], env);
});

describe('wait-for: docker, then the wait sub-action', () => {
  test('main returns with DOCKER_HOST only; the wait step merges the kubeconfig at ~/… and exports it', async () => {
    const job = runnerJob();
    mkdirSync(join(job.home, '.kube'), { recursive: true });
    writeFileSync(join(job.home, '.kube', 'shared.yaml'), THEIRS);
    const inputs = {
      name: 'aw-slow',
      image: fakeNodeImage('slow'),
      'wait-for': 'docker',
      kubeconfig: '~/.kube/shared.yaml',
    };
    const r = await runMain(job, inputs);
    expect(r.code, r.stdout).toBe(0);
    const exported = readCommandFile(job.files.env);
    expect(Object.keys(exported).sort()).toEqual(['DOCKER_HOST', 'KIND_ACTION_CLUSTER_AW_SLOW']);
    // The kubeconfig is not written yet: only their context is in the file.
    const shared = join(job.home, '.kube', 'shared.yaml');
    expect(readFileSync(shared, 'utf8')).toBe(THEIRS);
    expect(readCommandFile(job.files.output).kubeconfig).toBe(shared);
    expect(readFileSync(job.files.summary, 'utf8')).toContain(
      '(wait-for: docker); it boots while the next steps run',
    );
    // kubectl is left to the wait step, so main returns early.
    expect(r.stdout).not.toContain('install-kubectl');

    const w = await runWait(job, { name: 'aw-slow' });
    expect(w.code, w.stdout).toBe(0);
    // The test node has no kubectl and no version label: a warning, not a failure.
    expect(w.stdout).toMatch(
      /::warning::install-kubectl: .*no io\.kind-action\.k8s-version label.*kubectl not installed/,
    );
    expect(readCommandFile(job.files.env).KUBECONFIG).toBe(shared);
    expect(contextsOf(shared)).toEqual(['theirs', 'kind-aw-slow']);
    expect(parse(readFileSync(shared, 'utf8'))['current-context']).toBe('kind-aw-slow');
    expect(w.stdout).toContain('::add-mask::fake-key');
    const outputs = readCommandFile(job.files.output);
    expect(outputs['boot-overlap-seconds']).toMatch(/^\d+\.\d$/);
    expect(readFileSync(job.files.summary, 'utf8')).toMatch(
      /<li>[\d.]+s of its boot ran alongside your steps \(between kind-action and this wait step\); this step waited [\d.]+s more\.<\/li>/,
    );

    // Post removes the cluster and its entries, and keeps theirs.
    expect((await runPost(job, inputs)).code).toBe(0);
    expect(await leftovers('aw-slow')).toEqual(NOTHING);
    expect(contextsOf(shared)).toEqual(['theirs']);
  });

  test('a node that never gets ready: the wait step fails naming the readiness check', async () => {
    const job = runnerJob();
    const inputs = { name: 'aw-never', image: fakeNodeImage('never'), 'wait-for': 'docker' };
    expect((await runMain(job, inputs)).code).toBe(0);
    const w = await runWait(job, { name: 'aw-never', wait: '2s' });
    expect(w.code).toBe(1);
    expect(w.stdout).toMatch(
      /::error::timed out waiting for kubernetes-ready.*failing readiness check: coredns \(coredns: 0 ready pods\); components not ready: kubelet/,
    );
    expect(readCommandFile(job.files.env).KUBECONFIG).toBeUndefined();
    expect((await runPost(job, inputs, 'failure')).code).toBe(0);
    expect(await leftovers('aw-never')).toEqual(NOTHING);
  });

  test('a bad wait input fails before anything is looked at, naming it', async () => {
    const job = runnerJob();
    const w = await runWait(job, { name: 'aw-never', wait: 'soon' });
    expect(w.code).toBe(1);
    expect(w.stdout).toMatch(/::error::wait: "soon" is not a duration/);
  });
});
