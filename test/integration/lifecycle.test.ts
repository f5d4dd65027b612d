import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { docker, hostPort, leftovers, NOTHING } from '../support/docker.js';
import { fakeNodeImage } from '../support/fake-node.js';

const env = isolatedEnv();

afterEach(async () => {
  await cli(['down', '--all'], env);
});

afterAll(async () => {
  expect(await leftovers()).toEqual(NOTHING);
});

describe('up / status / kubeconfig / logs / down against the real engine', () => {
  test('a node that is ready at once', async () => {
    const r = await cli(['up', '--name', 'life', '--image', fakeNodeImage('ready'), '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = parseJson<UpJson>(r);
    expect(Object.keys(out).sort()).toEqual(
      [
        'apiServer',
        'configUrl',
        'containerId',
        'dockerHost',
        'image',
        'imageSource',
        'kubeconfig',
        'name',
        'phases',
        'privilege',
        'readySeconds',
        'waitedFor',
      ].sort(),
    );
    expect(out.name).toBe('life');
    expect(Object.keys(out.phases)).toEqual(
      expect.arrayContaining(['image', 'start', 'docker-ready', 'kubernetes-ready', 'kubeconfig', 'total']),
    );

    // Ports are the ones docker inspect reports, on loopback.
    const api = await hostPort(out.containerId, 8443);
    expect(out.apiServer).toBe(`https://127.0.0.1:${api}`);
    expect(out.dockerHost).toBe(`tcp://127.0.0.1:${await hostPort(out.containerId, 2375)}`);
    expect(out.configUrl).toBe(`http://127.0.0.1:${await hostPort(out.containerId, 10080)}/config`);
    const info = await docker.getContainer(out.containerId).inspect();
    for (const binding of Object.values(info.NetworkSettings.Ports))
      expect(binding?.[0]?.HostIp).toBe('127.0.0.1');

    // Labels on the container and on its /var/lib/docker volume.
    expect(info.Config.Labels).toMatchObject({
      'io.kind-action.managed': 'true',
      'io.kind-action.cluster': 'life',
      'io.kind-action.version': '0.1.0',
    });
    expect(info.Config.Labels['io.kind-action.session']).toMatch(/^[0-9a-f]{12}$/);
    expect(info.Config.Labels['io.kind-action.kubeconfig']).toBe(out.kubeconfig);
    expect((await leftovers('life')).volumes).toHaveLength(1);

    // Kubeconfig: 0600 at the default path, server rewritten, context kind-<name>, no key printed.
    expect(out.kubeconfig).toBe(join(env.HOME ?? '', '.kube', 'kind-action-life.yaml'));
    expect((await stat(out.kubeconfig)).mode & 0o777).toBe(0o600);
    const cfg = parse(await readFile(out.kubeconfig, 'utf8'));
    expect(cfg['current-context']).toBe('kind-life');
    expect(cfg.clusters[0].cluster.server).toBe(out.apiServer);
    expect(r.stdout + r.stderr).not.toContain('ZmFrZS1rZXk=');

    const status = await cli(['status', '--name', 'life', '--json'], env);
    expect(status.code).toBe(0);
    expect(parseJson<{ name: string; ready: boolean; state: string }[]>(status)).toEqual([
      expect.objectContaining({ name: 'life', ready: true, state: 'running', kubeconfig: out.kubeconfig }),
    ]);

    const kc = await cli(
      ['kubeconfig', '--name', 'life', '--kubeconfig', join(env.HOME ?? '', 'again.yaml')],
      env,
    );
    expect(kc.code, kc.stderr).toBe(0);
    expect(kc.stdout.trim()).toBe(join(env.HOME ?? '', 'again.yaml'));

    const logs = await cli(['logs', '--name', 'life'], env);
    expect(logs.stdout).toContain('fake-node: mode="ready"');

    const down = await cli(['down', '--name', 'life'], env);
    expect(down.code).toBe(0);
    expect(down.stderr).toContain('deleted cluster "life"');
    expect(await leftovers('life')).toEqual(NOTHING);
    // The file `up` wrote held only this cluster, so it goes; the copy `kubeconfig` wrote is the user's.
    expect(down.stderr).toContain(`deleted ${out.kubeconfig} (it held only "kind-life")`);
    expect(existsSync(out.kubeconfig)).toBe(false);
    expect(existsSync(join(env.HOME ?? '', 'again.yaml'))).toBe(true);

    const again = await cli(['down', '--name', 'life'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing to delete');
  });

  test('--listen-address opens the ports wider only when asked, with a warning', async () => {
    const r = await cli(
      ['up', '--name', 'wide', '--image', fakeNodeImage('ready'), '--listen-address', '0.0.0.0', '--json'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: --listen-address 0\.0\.0\.0: the node's Docker API \(root on the node\)/,
    );
    const info = await docker.getContainer(parseJson<UpJson>(r).containerId).inspect();
    const bindings = Object.values(info.NetworkSettings.Ports).map((b) => b?.[0]?.HostIp);
    expect(bindings).toEqual(['0.0.0.0', '0.0.0.0', '0.0.0.0']);
    expect((await cli(['down', '--name', 'wide'], env)).code).toBe(0);
  });

  test('a slow node: phases are reported and the wait holds until ready', async () => {
    const r = await cli(['up', '--name', 'slow', '--image', fakeNodeImage('slow'), '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const out = parseJson<UpJson>(r);
    expect(out.phases['docker-ready']).toBeGreaterThan(0.5);
    expect((out.phases['docker-ready'] ?? 0) + (out.phases['kubernetes-ready'] ?? 0)).toBeGreaterThan(2);
  });

  test('a node that never gets ready: timeout names the failing check, nothing left', async () => {
    const r = await cli(['up', '--name', 'never', '--image', fakeNodeImage('never'), '--timeout', '3s'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /timed out waiting for kubernetes-ready; last reason: kubernetes-ready: coredns: 0 ready pods/,
    );
    expect(r.stderr).toContain('fake-node: mode="never"');
    expect(await leftovers('never')).toEqual(NOTHING);
  });

  test('--retain keeps a node that failed to get ready', async () => {
    const r = await cli(
      ['up', '--name', 'kept', '--image', fakeNodeImage('never'), '--timeout', '1s', '--retain'],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kind-action down --name kept');
    expect((await leftovers('kept')).containers).toEqual(['/kind-action-kept']);
  });

  test('a node that exits while we wait: fails without waiting out the timeout, shows the last 50 log lines', async () => {
    const r = await cli(
      ['up', '--name', 'exits', '--image', fakeNodeImage('exit'), '--timeout', '170s'],
      env,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the node container [0-9a-f]{12} is exited \(exit code 3\)/);
    expect(r.stderr).not.toContain('timed out');
    expect(r.stderr).toContain('fake-node: failing on purpose');
    expect(r.stderr).toContain('fake-node: log line 60');
    expect(r.stderr).toContain('fake-node: log line 12\n');
    expect(r.stderr).not.toContain('fake-node: log line 11\n');
    expect(await leftovers('exits')).toEqual(NOTHING);
  });

  test('merges into an existing kubeconfig without touching other entries', async () => {
    const path = join(env.HOME ?? '', 'merged.yaml');
    await writeFile(
      path,
      'apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {server: "https://prod:443"}\nusers:\n- name: prod\n  user: {token: abc}\ncontexts:\n- name: prod\n  context: {cluster: prod, user: prod}\ncurrent-context: prod\n',
    );
    const r = await cli(
      ['up', '--name', 'merge', '--image', fakeNodeImage('ready'), '--kubeconfig', path],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const cfg = parse(await readFile(path, 'utf8'));
    expect(cfg.contexts.map((c: { name: string }) => c.name)).toEqual(['prod', 'kind-merge']);
    expect(cfg.users[0]).toEqual({ name: 'prod', user: { token: 'abc' } });
    expect(cfg['current-context']).toBe('kind-merge');

    // down takes out only this cluster's entries; the file and the others stay, still 0600.
    const down = await cli(['down', '--name', 'merge', '--json'], env);
    expect(down.code, down.stderr).toBe(0);
    expect(parseJson<{ kubeconfigs: string[] }>(down).kubeconfigs).toEqual([path]);
    expect(down.stderr).toContain(`removed context "kind-merge" from ${path}`);
    const after = parse(await readFile(path, 'utf8'));
    expect(after).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'prod', cluster: { server: 'https://prod:443' } }],
      users: [{ name: 'prod', user: { token: 'abc' } }],
      contexts: [{ name: 'prod', context: { cluster: 'prod', user: 'prod' } }],
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  test('parallel ups into one kubeconfig keep every entry; each down takes out only its own', async () => {
    const path = join(env.HOME ?? '', 'shared', 'config');
    const names = ['par-a', 'par-b', 'par-c'];
    const ups = await Promise.all(
      names.map((n) =>
        cli(['up', '--name', n, '--image', fakeNodeImage('ready'), '--kubeconfig', path], env),
      ),
    );
    for (const r of ups) expect(r.code, r.stderr).toBe(0);
    const contexts = async () =>
      (parse(await readFile(path, 'utf8')).contexts as { name: string }[]).map((c) => c.name).sort();
    expect(await contexts()).toEqual(['kind-par-a', 'kind-par-b', 'kind-par-c']);
    const downs = await Promise.all(names.slice(0, 2).map((n) => cli(['down', '--name', n], env)));
    for (const r of downs) expect(r.code, r.stderr).toBe(0);
    expect(await contexts()).toEqual(['kind-par-c']);
    expect((await cli(['down', '--name', 'par-c'], env)).code).toBe(0);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  test('a node removed some other way: down still cleans its kubeconfig', async () => {
    const custom = join(env.HOME ?? '', 'custom', 'gone.yaml');
    for (const [name, extra] of [
      ['gone-a', []],
      ['gone-b', ['--kubeconfig', custom]],
    ] as const) {
      const r = await cli(['up', '--name', name, '--image', fakeNodeImage('ready'), ...extra], env);
      expect(r.code, r.stderr).toBe(0);
      await docker.getContainer(`kind-action-${name}`).remove({ force: true, v: true });
    }
    const byDefault = join(env.HOME ?? '', '.kube', 'kind-action-gone-a.yaml');
    expect(existsSync(byDefault)).toBe(true);
    const a = await cli(['down', '--name', 'gone-a'], env);
    expect(a.stderr).toContain('no cluster named "gone-a"; nothing to delete');
    expect(a.stderr).toContain(`deleted ${byDefault}`);
    expect(existsSync(byDefault)).toBe(false);

    // A file elsewhere is named again; without it, down leaves that file alone.
    expect((await cli(['down', '--name', 'gone-b'], env)).code).toBe(0);
    expect(existsSync(custom)).toBe(true);
    const b = await cli(['down', '--name', 'gone-b', '--kubeconfig', custom], env);
    expect(b.stderr).toContain(`deleted ${custom}`);
    expect(existsSync(custom)).toBe(false);
    expect(await leftovers()).toEqual(NOTHING);
  });

  test('down --all removes every cluster', async () => {
    for (const name of ['all-a', 'all-b']) {
      expect((await cli(['up', '--name', name, '--image', fakeNodeImage('ready')], env)).code).toBe(0);
    }
    const r = await cli(['down', '--all', '--json'], env);
    const files = ['all-a', 'all-b'].map((n) => join(env.HOME ?? '', '.kube', `kind-action-${n}.yaml`));
    expect(parseJson<{ clusters: string[]; containers: number; kubeconfigs: string[] }>(r)).toMatchObject({
      clusters: ['all-a', 'all-b'],
      containers: 2,
    });
    expect(parseJson<{ kubeconfigs: string[] }>(r).kubeconfigs.sort()).toEqual(files);
    expect(files.filter((f) => existsSync(f))).toEqual([]);
    expect(await leftovers()).toEqual(NOTHING);
  });

  test('the privileged attempt is made once per daemon, then remembered', async () => {
    const fresh = isolatedEnv();
    const first = await cli(['up', '--name', 'priv1', '--image', fakeNodeImage('ready'), '--json'], fresh);
    expect(first.code, first.stderr).toBe(0);
    const mode = parseJson<{ privilege: string }>(first).privilege;
    expect(['privileged', 'fallback']).toContain(mode);
    await cli(['down', '--name', 'priv1'], fresh);
    const second = await cli(['up', '--name', 'priv2', '--image', fakeNodeImage('ready'), '--json'], fresh);
    expect(parseJson<{ privilege: string }>(second).privilege).toBe(mode);
    if (mode === 'fallback') {
      expect(first.stderr).toContain('--privileged refused by the daemon');
      expect(second.stderr).not.toContain('--privileged refused');
    }
  });
});
