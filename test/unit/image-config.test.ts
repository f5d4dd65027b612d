import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import {
  cacheableConfig,
  configDifferences,
  type ImageConfig,
  importChanges,
  UnrepresentableConfigError,
} from '../../src/core/cache/image-config.js';
import { sha256File, writeChecksum } from '../../src/core/cache/integrity.js';
import { ENTRY_FORMAT, MANIFEST_FILE, readManifest, writeManifest } from '../../src/core/cache/manifest.js';

const NODE: ImageConfig = {
  Entrypoint: ['/usr/bin/tini', '-g', '--', '/kind/bin/kind-agent'],
  Cmd: null,
  Env: ['PATH=/kind/bin:/usr/bin', 'KUBECONFIG=/etc/kubernetes/admin.conf'],
  ExposedPorts: ['10080/tcp', '2375/tcp', '8443/tcp'],
  Volumes: ['/var/lib/docker'],
  Labels: { 'io.kind-action.k8s-version': '1.35.4' },
  WorkingDir: '',
  User: '',
};

describe('cacheableConfig: what docker image inspect says, in the form an entry keeps', () => {
  test('ports and volumes become sorted lists; absent fields become empty', () => {
    expect(
      cacheableConfig({
        Entrypoint: NODE.Entrypoint,
        Env: NODE.Env,
        ExposedPorts: { '8443/tcp': {}, '10080/tcp': {}, '2375/tcp': {} },
        Volumes: { '/var/lib/docker': {} },
        Labels: NODE.Labels,
        StopSignal: 'SIGTERM',
      }),
    ).toEqual(NODE);
    expect(cacheableConfig({})).toEqual({
      Entrypoint: null,
      Cmd: null,
      Env: [],
      ExposedPorts: [],
      Volumes: [],
      Labels: {},
      WorkingDir: '',
      User: '',
    });
  });

  test('a string entrypoint or command is one argument', () => {
    expect(cacheableConfig({ Entrypoint: '/bin/sh', Cmd: 'x' })).toMatchObject({
      Entrypoint: ['/bin/sh'],
      Cmd: ['x'],
    });
  });

  test.each<[string, Parameters<typeof cacheableConfig>[0], RegExp]>([
    ['a health check', { Healthcheck: { Test: ['CMD', 'true'] } }, /HEALTHCHECK/],
    ['ONBUILD', { OnBuild: ['RUN x'] }, /ONBUILD/],
    ['SHELL', { Shell: ['/bin/bash', '-c'] }, /SHELL/],
    ['a stop signal other than SIGTERM', { StopSignal: 'SIGINT' }, /STOPSIGNAL SIGINT/],
    ['a newline in a label value', { Labels: { a: 'x\ny' } }, /LABEL with a control character/],
    ['a tab in an env value', { Env: ['A=x\ty'] }, /ENV with a control character/],
  ])('%s cannot be given back by docker import, so it is refused by name', (_, config, named) => {
    expect(() => cacheableConfig(config)).toThrow(UnrepresentableConfigError);
    expect(() => cacheableConfig(config)).toThrow(named);
  });
});

describe('importChanges', () => {
  test("the node image's configuration", () => {
    expect(importChanges(NODE)).toEqual([
      'ENTRYPOINT ["/usr/bin/tini","-g","--","/kind/bin/kind-agent"]',
      'ENV PATH="/kind/bin:/usr/bin"',
      'ENV KUBECONFIG="/etc/kubernetes/admin.conf"',
      'EXPOSE 10080/tcp',
      'EXPOSE 2375/tcp',
      'EXPOSE 8443/tcp',
      'VOLUME ["/var/lib/docker"]',
      'LABEL "io.kind-action.k8s-version"="1.35.4"',
    ]);
  });

  test('quotes, backslashes and $ are escaped so nothing is expanded', () => {
    const changes = importChanges({
      ...NODE,
      Entrypoint: null,
      Env: ['A=say "hi" \\ $HOME'],
      ExposedPorts: [],
      Volumes: [],
      Labels: { 'a b': '$X' },
      WorkingDir: '/w $d',
      User: 'u',
    });
    expect(changes).toEqual([
      'ENV A="say \\"hi\\" \\\\ \\$HOME"',
      'LABEL "a b"="\\$X"',
      'WORKDIR "/w \\$d"',
      'USER "u"',
    ]);
  });
});

describe('configDifferences', () => {
  test('none for equal configurations, whatever the order of env and labels', () => {
    const shuffled = { ...NODE, Env: [...NODE.Env].reverse(), Labels: { ...NODE.Labels } };
    expect(configDifferences(NODE, shuffled)).toEqual([]);
  });

  test('each differing field is named', () => {
    expect(
      configDifferences(NODE, { ...NODE, Entrypoint: ['/x'], Labels: {}, User: 'nobody', Volumes: [] }),
    ).toEqual(['Entrypoint', 'Volumes', 'Labels', 'User']);
  });
});

describe('the entry manifest (image.json)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ka-manifest-unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('written with its sha256 beside it, and read back', async () => {
    await writeManifest(dir, { format: ENTRY_FORMAT, ref: 'kind-action/node:v1.35.4', config: NODE });
    const file = join(dir, MANIFEST_FILE);
    expect(readFileSync(`${file}.sha256`, 'utf8')).toBe(`${await sha256File(file)}  ${MANIFEST_FILE}\n`);
    expect(await readManifest(dir)).toEqual({
      ok: true,
      manifest: { format: ENTRY_FORMAT, ref: 'kind-action/node:v1.35.4', config: NODE },
    });
  });

  test('a changed byte is caught by the checksum', async () => {
    await writeManifest(dir, { format: ENTRY_FORMAT, ref: 'kind-action/node:v1.35.4', config: NODE });
    const file = join(dir, MANIFEST_FILE);
    writeFileSync(file, readFileSync(file, 'utf8').replace('1.35.4', '1.35.5'));
    const r = await readManifest(dir);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/^image\.json \(\d+ bytes\) has sha256 .* expected/);
  });

  test.each<[string, unknown, string]>([
    ['not an object', 'x', 'the file'],
    ['another layout', { format: 'save-0', ref: 'a', config: NODE }, 'format'],
    ['no reference', { format: ENTRY_FORMAT, ref: '', config: NODE }, 'ref'],
    ['no configuration', { format: ENTRY_FORMAT, ref: 'a' }, 'config'],
    ['env not a list', { format: ENTRY_FORMAT, ref: 'a', config: { ...NODE, Env: 'PATH=/' } }, 'config.Env'],
    [
      'a label that is not a string',
      { format: ENTRY_FORMAT, ref: 'a', config: { ...NODE, Labels: { a: 1 } } },
      'config.Labels',
    ],
  ])('%s (with a matching checksum) is named as not valid', async (_, content, field) => {
    const file = join(dir, MANIFEST_FILE);
    writeFileSync(file, JSON.stringify(content));
    await writeChecksum(file, await sha256File(file));
    expect(await readManifest(dir)).toEqual({
      ok: false,
      reason: `${MANIFEST_FILE}: ${field} is missing or not valid`,
    });
  });

  test('text that is not JSON', async () => {
    const file = join(dir, MANIFEST_FILE);
    writeFileSync(file, '{');
    await writeChecksum(file, await sha256File(file));
    expect(await readManifest(dir)).toEqual({ ok: false, reason: `${MANIFEST_FILE} is not JSON` });
  });
});
