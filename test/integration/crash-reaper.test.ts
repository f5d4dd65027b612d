import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, test } from 'vitest';
import { removeRunnerJobs, runMain, runnerJob, runPost } from '../support/action.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { fakeNodeImage } from '../support/fake-node.js';

const env = isolatedEnv();

afterAll(async () => {
  await cli(['down', '--all'], env);
  removeRunnerJobs();
  expect(await leftovers()).toEqual(NOTHING);
});

/** `up` of a node that never gets ready, SIGKILLed once it waits: nothing can clean up. */
async function killedUp(name: string, extra: string[] = []): Promise<void> {
  let killed = false;
  const r = await cli(['up', '--name', name, '--image', fakeNodeImage('never'), ...extra], env, {
    onStderr: (text, child) => {
      if (!killed && text.includes('waiting for')) {
        killed = true;
        child.kill('SIGKILL');
      }
    },
  });
  expect(killed).toBe(true);
  expect(r.signal).toBe('SIGKILL');
}

async function expiryLabel(name: string): Promise<string | undefined> {
  const [node] = await docker.listContainers({
    all: true,
    filters: { label: [`io.kind-action.cluster=${name}`] },
  });
  return node?.Labels['io.kind-action.expires'];
}

describe('a CLI killed with SIGKILL mid-up', () => {
  test('leaves its node, and a later down --all removes it', async () => {
    await killedUp('crash-all');
    expect((await leftovers('crash-all')).containers).toEqual(['/kind-action-crash-all']);
    const r = await cli(['down', '--all'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('deleted cluster "crash-all"');
    expect(await leftovers('crash-all')).toEqual(NOTHING);
  });

  test('the Action: main killed while waiting, then post (as the runner runs it) removes the node', async () => {
    const job = runnerJob();
    let killed = false;
    const r = await runMain(
      job,
      { name: 'crash-action', image: fakeNodeImage('never'), wait: '120s' },
      {
        onSpawn: (child) => {
          let seen = '';
          child.stdout?.on('data', (d: Buffer) => {
            seen += d.toString();
            if (killed || !seen.includes('waiting for kind-action-crash-action')) return;
            killed = true;
            child.kill('SIGKILL');
          });
        },
      },
    );
    expect(r.signal).toBe('SIGKILL');
    expect((await leftovers('crash-action')).containers).toHaveLength(1);
    const p = await runPost(job, {}, 'cancelled');
    expect(p.code, p.stdout).toBe(0);
    expect(await leftovers('crash-action')).toEqual(NOTHING);
  });
});

describe('the reaper: a time to live swept by every later up', () => {
  test('a killed up whose --ttl has passed is removed by the next up of another cluster', async () => {
    await killedUp('crash-ttl', ['--ttl', '1s']);
    const label = await expiryLabel('crash-ttl');
    expect(Number(label)).toBeGreaterThan(0);
    // Wait until the label's second has certainly passed (a wait, not a timing assertion).
    while (Math.floor(Date.now() / 1000) <= Number(label)) await sleep(250);
    const r = await cli(['up', '--name', 'survivor', '--image', fakeNodeImage('ready')], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('cluster "crash-ttl" outlived its time to live; removing it');
    expect(await leftovers('crash-ttl')).toEqual(NOTHING);
    expect((await leftovers('survivor')).containers).toHaveLength(1);
  });

  test('a cluster that got ready, then outlived its ttl: the sweep also cleans its kubeconfig', async () => {
    const r = await cli(
      ['up', '--name', 'ttl-ready', '--image', fakeNodeImage('ready'), '--ttl', '1s', '--json'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const { kubeconfig } = parseJson<{ kubeconfig: string }>(r);
    expect(existsSync(kubeconfig)).toBe(true);
    const label = Number(await expiryLabel('ttl-ready'));
    while (Math.floor(Date.now() / 1000) <= label) await sleep(250);
    const next = await cli(['up', '--name', 'ttl-next', '--image', fakeNodeImage('ready')], env);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toContain(`deleted ${kubeconfig} (it held only "kind-ttl-ready")`);
    expect(existsSync(kubeconfig)).toBe(false);
    expect(await leftovers('ttl-ready')).toEqual(NOTHING);
  });

  test('an expired cluster frees its name for the up that sweeps it', async () => {
    await killedUp('crash-same', ['--ttl', '1s']);
    const label = Number(await expiryLabel('crash-same'));
    while (Math.floor(Date.now() / 1000) <= label) await sleep(250);
    const r = await cli(['up', '--name', 'crash-same', '--image', fakeNodeImage('ready')], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('cluster "crash-same" outlived its time to live');
  });

  test('clusters within their ttl, and with --ttl 0, are left alone', async () => {
    expect(
      (await cli(['up', '--name', 'ttl-long', '--image', fakeNodeImage('ready'), '--ttl', '1h'], env)).code,
    ).toBe(0);
    expect(
      (await cli(['up', '--name', 'ttl-none', '--image', fakeNodeImage('ready'), '--ttl', '0'], env)).code,
    ).toBe(0);
    const long = Number(await expiryLabel('ttl-long'));
    expect(long - Date.now() / 1000).toBeGreaterThan(3500);
    expect(long - Date.now() / 1000).toBeLessThanOrEqual(3601);
    expect(await expiryLabel('ttl-none')).toBeUndefined();
    const status = parseJson<{ name: string; expiresAt?: string }[]>(await cli(['status', '--json'], env));
    expect(status.find((s) => s.name === 'ttl-long')?.expiresAt).toBe(new Date(long * 1000).toISOString());
    expect(status.find((s) => s.name === 'ttl-none')).not.toHaveProperty('expiresAt');
    const r = await cli(['up', '--name', 'ttl-third', '--image', fakeNodeImage('ready')], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('outlived');
    for (const name of ['ttl-long', 'ttl-none', 'ttl-third']) {
      expect((await leftovers(name)).containers).toHaveLength(1);
    }
  });
});
