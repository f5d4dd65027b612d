import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { kubeconfigTargets } from '../../src/core/cluster/down.js';
import { removeKubeconfigEntries, writeKubeconfig } from '../../src/core/kubeconfig/file.js';
import {
  emptyKubeconfig,
  isEmptyKubeconfig,
  mergeKubeconfig,
  parseKubeconfig,
  removeFromKubeconfig,
  rewriteKubeconfig,
  serializeKubeconfig,
} from '../../src/core/kubeconfig/rewrite.js';

const FROM_NODE = `apiVersion: v1
kind: Config
clusters:
- name: kind-action
  cluster:
    server: https://172.30.99.1:8443
    certificate-authority-data: Q0E=
users:
- name: admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
contexts:
- name: admin@kind-action
  context: {cluster: kind-action, user: admin}
current-context: admin@kind-action
`;

describe('rewriteKubeconfig', () => {
  test.each([
    ['https://127.0.0.1:32768', 'kind-ci'],
    ['https://docker.example:40000', 'kind-remote'],
    ['https://[::1]:6443', 'kind-v6'],
  ])('server %s, name %s', (server, name) => {
    const cfg = rewriteKubeconfig(FROM_NODE, server, name);
    expect(cfg.clusters).toEqual([{ name, cluster: { server, 'certificate-authority-data': 'Q0E=' } }]);
    expect(cfg.users).toEqual([
      { name, user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' } },
    ]);
    expect(cfg.contexts).toEqual([{ name, context: { cluster: name, user: name } }]);
    expect(cfg['current-context']).toBe(name);
    expect(serializeKubeconfig(cfg)).not.toContain('172.30.99.1');
  });

  test.each(['', 'not: [yaml', 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n'])(
    'refuses %j',
    (text) => {
      expect(() => rewriteKubeconfig(text, 'https://x:1', 'kind-x')).toThrow(/kubeconfig/);
    },
  );
});

describe('merge and remove', () => {
  const other = parseKubeconfig(
    `apiVersion: v1
kind: Config
clusters: [{name: prod, cluster: {server: 'https://prod:443'}}]
users: [{name: prod, user: {token: t}}]
contexts: [{name: prod, context: {cluster: prod, user: prod}}]
current-context: prod
preferences: {colors: true}
`,
    'other',
  );
  const ours = rewriteKubeconfig(FROM_NODE, 'https://127.0.0.1:1', 'kind-ci');

  test('merging keeps the other entries and fields, switches context', () => {
    const merged = mergeKubeconfig(other, ours);
    expect(merged.clusters.map((c) => c.name)).toEqual(['prod', 'kind-ci']);
    expect(merged.contexts.map((c) => c.name)).toEqual(['prod', 'kind-ci']);
    expect(merged.preferences).toEqual({ colors: true });
    expect(merged['current-context']).toBe('kind-ci');
  });

  test('merging twice replaces, never duplicates', () => {
    const again = mergeKubeconfig(
      mergeKubeconfig(other, ours),
      rewriteKubeconfig(FROM_NODE, 'https://127.0.0.1:2', 'kind-ci'),
    );
    expect(again.clusters).toHaveLength(2);
    expect(again.clusters[1]?.cluster.server).toBe('https://127.0.0.1:2');
  });

  test('remove drops only that name', () => {
    const removed = removeFromKubeconfig(mergeKubeconfig(other, ours), 'kind-ci');
    expect(removed.clusters.map((c) => c.name)).toEqual(['prod']);
    expect(removed['current-context']).toBeUndefined();
  });
});

describe('writeKubeconfig', () => {
  test('writes 0600, creates the directory, merges into an existing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ka-kc-'));
    const path = join(dir, 'nested', 'config');
    await writeKubeconfig(path, rewriteKubeconfig(FROM_NODE, 'https://127.0.0.1:1', 'kind-a'), true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await writeKubeconfig(path, rewriteKubeconfig(FROM_NODE, 'https://127.0.0.1:2', 'kind-b'), true);
    const cfg = parseKubeconfig(await readFile(path, 'utf8'), path);
    expect(cfg.contexts.map((c) => c.name)).toEqual(['kind-a', 'kind-b']);
  });

  test('an unparsable existing file is an error and is left untouched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ka-kc-'));
    const path = join(dir, 'config');
    await writeFile(path, 'not: [yaml');
    await expect(
      writeKubeconfig(path, rewriteKubeconfig(FROM_NODE, 'https://x:1', 'kind-a'), true),
    ).rejects.toThrow(/not valid YAML/);
    expect(await readFile(path, 'utf8')).toBe('not: [yaml');
  });
});

describe('removeKubeconfigEntries (what down does to the file up wrote)', () => {
  const ours = (name: string, port: number) =>
    rewriteKubeconfig(FROM_NODE, `https://127.0.0.1:${port}`, name);

  test('the last entry: the file is deleted', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'ka-kc-')), 'config');
    await writeKubeconfig(path, ours('kind-a', 1), true);
    expect(await removeKubeconfigEntries(path, 'kind-a')).toBe('deleted');
    expect(existsSync(path)).toBe(false);
    expect(await removeKubeconfigEntries(path, 'kind-a')).toBe('absent');
  });

  test('other entries stay, 0600, and the current context goes only if it was ours', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'ka-kc-')), 'config');
    await writeKubeconfig(path, ours('kind-a', 1), true);
    await writeKubeconfig(path, ours('kind-b', 2), true);
    expect(await removeKubeconfigEntries(path, 'kind-a')).toBe('removed');
    const cfg = parseKubeconfig(await readFile(path, 'utf8'), path);
    expect(cfg.contexts.map((c) => c.name)).toEqual(['kind-b']);
    expect(cfg['current-context']).toBe('kind-b');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await removeKubeconfigEntries(path, 'kind-b')).toBe('deleted');
  });

  test('a file without that context is not rewritten', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'ka-kc-')), 'config');
    const text = '# mine\napiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n';
    await writeFile(path, text);
    expect(await removeKubeconfigEntries(path, 'kind-a')).toBe('absent');
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  test('an unparsable file is an error and is left untouched', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'ka-kc-')), 'config');
    await writeFile(path, 'not: [yaml');
    await expect(removeKubeconfigEntries(path, 'kind-a')).rejects.toThrow(/not valid YAML/);
    expect(await readFile(path, 'utf8')).toBe('not: [yaml');
  });

  test('empty means no entries and nothing else a person put there', () => {
    expect(isEmptyKubeconfig(emptyKubeconfig())).toBe(true);
    expect(isEmptyKubeconfig({ ...emptyKubeconfig(), preferences: {} })).toBe(true);
    expect(isEmptyKubeconfig({ ...emptyKubeconfig(), preferences: { colors: true } })).toBe(false);
    expect(isEmptyKubeconfig({ ...emptyKubeconfig(), extensions: [] })).toBe(false);
    expect(isEmptyKubeconfig({ ...emptyKubeconfig(), 'current-context': 'elsewhere' })).toBe(false);
  });
});

describe('one kubeconfig shared by several clusters', () => {
  test('concurrent merges and removals lose no entry (the file is locked while rewritten)', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'ka-kc-')), 'config');
    const names = Array.from({ length: 8 }, (_, i) => `kind-p${i}`);
    await Promise.all(
      names.map((n, i) =>
        writeKubeconfig(path, rewriteKubeconfig(FROM_NODE, `https://127.0.0.1:${i + 1}`, n), true),
      ),
    );
    let cfg = parseKubeconfig(await readFile(path, 'utf8'), path);
    expect(cfg.contexts.map((c) => c.name).sort()).toEqual(names);
    await Promise.all(names.slice(0, 5).map((n) => removeKubeconfigEntries(path, n)));
    cfg = parseKubeconfig(await readFile(path, 'utf8'), path);
    expect(cfg.contexts.map((c) => c.name).sort()).toEqual(names.slice(5));
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  test('a lock left by a killed process is taken over once stale', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'ka-kc-')), 'config');
    await mkdir(`${path}.lock`);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, old, old);
    await writeKubeconfig(path, rewriteKubeconfig(FROM_NODE, 'https://127.0.0.1:1', 'kind-a'), true);
    expect(parseKubeconfig(await readFile(path, 'utf8'), path).contexts.map((c) => c.name)).toEqual([
      'kind-a',
    ]);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe('kubeconfigTargets', () => {
  const node = (cluster: string, kubeconfig?: string) => ({
    Labels: {
      'io.kind-action.cluster': cluster,
      ...(kubeconfig ? { 'io.kind-action.kubeconfig': kubeconfig } : {}),
    },
  });

  test("each node's recorded file, and the one given, each pair once", () => {
    expect(kubeconfigTargets([node('a', '/k/a'), node('a', '/k/a')], 'a', { kubeconfig: '/k/a' })).toEqual([
      { cluster: 'a', path: '/k/a' },
    ]);
    expect(kubeconfigTargets([node('a', '/k/a')], 'a', { kubeconfig: '/k/x' })).toEqual([
      { cluster: 'a', path: '/k/a' },
      { cluster: 'a', path: '/k/x' },
    ]);
  });

  test('no node: the given file for the named cluster; --all: for each node found', () => {
    expect(kubeconfigTargets([], 'gone', { kubeconfig: '/k/g' })).toEqual([
      { cluster: 'gone', path: '/k/g' },
    ]);
    expect(kubeconfigTargets([], undefined, { kubeconfig: '/k/g' })).toEqual([]);
    expect(kubeconfigTargets([node('a'), node('b', '/k/b')], undefined, { kubeconfig: '/k/all' })).toEqual([
      { cluster: 'b', path: '/k/b' },
      { cluster: 'a', path: '/k/all' },
      { cluster: 'b', path: '/k/all' },
    ]);
    expect(kubeconfigTargets([node('a')], 'a', {})).toEqual([]);
  });
});
