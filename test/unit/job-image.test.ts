import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { jobBuildInputs, type RawBuild } from '../../src/cli/build-inputs.js';
import { waitInputs } from '../../src/cli/inputs.js';
import { publishInputs } from '../../src/cli/publish.js';
import { UsageError } from '../../src/core/errors.js';
import {
  DEFAULT_KUBERNETES,
  KUBERNETES_RELEASES,
  KUBERNETES_VERSIONS,
} from '../../src/core/image/versions.js';
import { assembleJobContext } from '../../src/core/job/build.js';
import { kubectlVersions, pickKubectl, selectKubectl } from '../../src/core/job/kubectl-dir.js';
import { jobImageTag, KUBECTL_LINK, kubectlEntry, localJobImage } from '../../src/core/job/names.js';
import { nodeArch } from '../../src/core/package.js';
import { HostResolvesProbe } from '../../src/core/ready/host-probe.js';
import { readRunEnv } from '../../src/core/run-env.js';
import { VERSION } from '../../src/core/version.js';

const scratch: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ka-job-unit-'));
  scratch.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const other = nodeArch() === 'amd64' ? 'arm64' : 'amd64';

describe('job image names', () => {
  test("the tag is the CLI's version; another architecture's local build is tagged apart", () => {
    expect(jobImageTag()).toBe(`v${VERSION}`);
    expect(localJobImage()).toBe(`kind-action/job:v${VERSION}`);
    expect(localJobImage(nodeArch())).toBe(`kind-action/job:v${VERSION}`);
    expect(localJobImage(other)).toBe(`kind-action/job:v${VERSION}-${other}`);
  });
});

describe('which kubectl matches a server', () => {
  const available = ['1.37.2', '1.36.3', '1.35.4'];
  test.each([
    ['1.37.2', '1.37.2'],
    ['1.36.3', '1.36.3'],
    ['1.36.1', '1.36.3'],
    ['1.35.9', '1.35.4'],
    ['1.34.0', undefined],
    ['1.38.0', undefined],
  ])('server %s → kubectl %s', (server, kubectl) => {
    expect(pickKubectl(server, available)).toBe(kubectl);
  });

  function kubectlDir(versions: string[], linked: string): string {
    const dir = tmp();
    for (const v of versions) {
      mkdirSync(join(dir, `v${v}`));
      writeFileSync(join(dir, kubectlEntry(v)), `kubectl ${v}`, { mode: 0o755 });
    }
    mkdirSync(join(dir, 'v9.9.9')); // a directory without a kubectl is not offered
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'other'), '');
    const link = join(dir, KUBECTL_LINK);
    symlinkSync(`../${kubectlEntry(linked)}`, link);
    return dir;
  }

  test('the directory lists its versions newest first', async () => {
    const dir = kubectlDir(['1.35.4', '1.37.2', '1.36.3'], '1.37.2');
    expect(await kubectlVersions(dir)).toEqual(['1.37.2', '1.36.3', '1.35.4']);
  });

  test('the link is pointed at the same minor, relative, in place', async () => {
    const dir = kubectlDir(['1.37.2', '1.36.3', '1.35.4'], '1.37.2');
    const choice = await selectKubectl(dir, '1.35.1');
    expect(choice).toEqual({
      server: '1.35.1',
      kubectl: '1.35.4',
      path: join(dir, 'v1.35.4/kubectl'),
      matched: true,
      available: ['1.37.2', '1.36.3', '1.35.4'],
    });
    expect(readlinkSync(join(dir, KUBECTL_LINK))).toBe('../v1.35.4/kubectl');
    expect(readFileSync(join(dir, KUBECTL_LINK), 'utf8')).toBe('kubectl 1.35.4');
  });

  test('a server of no minor here leaves the link as it was and says so', async () => {
    const dir = kubectlDir(['1.37.2', '1.36.3'], '1.36.3');
    const choice = await selectKubectl(dir, '1.30.0');
    expect(choice.matched).toBe(false);
    expect(choice.kubectl).toBe('1.36.3');
    expect(readlinkSync(join(dir, KUBECTL_LINK))).toBe('../v1.36.3/kubectl');
  });
});

describe("the job image's build context", () => {
  test('the CLI as an ES module package with bin/kind-action, and the kubectl link at the default version', async () => {
    const cliDir = tmp();
    writeFileSync(join(cliDir, 'index.js'), '#!/usr/bin/env node\nimport "./chunk-A.js";\n');
    writeFileSync(join(cliDir, 'chunk-A.js'), 'export {};\n');
    const ctx = tmp();
    await assembleJobContext(ctx, { jobDir: 'job', cliDir });
    // The chunks the bundle loads travel with it.
    expect(readFileSync(join(ctx, 'cli', 'dist', 'cli', 'chunk-A.js'), 'utf8')).toBe('export {};\n');
    expect(readFileSync(join(ctx, 'Dockerfile'), 'utf8')).toBe(readFileSync('job/Dockerfile', 'utf8'));
    const pkg = JSON.parse(readFileSync(join(ctx, 'cli', 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ type: 'module', version: VERSION });
    expect(lstatSync(join(ctx, 'cli', 'dist', 'cli', 'index.js')).mode & 0o111).not.toBe(0);
    expect(readlinkSync(join(ctx, 'cli', 'bin', 'kind-action'))).toBe('../dist/cli/index.js');
    expect(readlinkSync(join(ctx, 'kubectl', KUBECTL_LINK))).toBe(
      `../${kubectlEntry(KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '')}`,
    );
  });

  test("the Dockerfile copies only what the context holds, and names no architecture (it follows the base's)", () => {
    const text = readFileSync('job/Dockerfile', 'utf8');
    const sources = [...text.matchAll(/^COPY\s+(\S+)\s/gm)].map((m) => m[1]);
    expect(sources).toEqual(['cli/', 'kubectl/']);
    expect(text).not.toMatch(/amd64|arm64|x86_64|aarch64|GOARCH/);
    expect(text).toMatch(/^FROM debian:trixie-slim$/m);
    expect(text).toContain(`KIND_ACTION_KUBECTL_DIR=/opt/kind-action/kubectl`);
    expect(text).toContain('PATH=/opt/kind-action/kubectl/bin:/opt/kind-action/bin:');
  });

  test('every supported version has a kubectl entry of its own', () => {
    const entries = KUBERNETES_RELEASES.map((r) => kubectlEntry(r.version));
    expect(new Set(entries).size).toBe(KUBERNETES_RELEASES.length);
  });
});

describe('build --job and publish --job inputs', () => {
  const raw = (over: Partial<RawBuild> = {}): RawBuild => ({
    preload: [],
    kubeSource: 'source',
    arch: nodeArch(),
    job: true,
    ...over,
  });

  test('the defaults: the local job image of the architecture', () => {
    expect(jobBuildInputs(raw())).toEqual({
      kubeSource: 'source',
      arch: nodeArch(),
      tag: localJobImage(),
      force: false,
      json: false,
    });
    expect(jobBuildInputs(raw({ arch: other })).tag).toBe(localJobImage(other));
    expect(jobBuildInputs(raw({ tag: 'kind-action-test/job:x' })).tag).toBe('kind-action-test/job:x');
  });

  test.each<[string, Partial<RawBuild>]>([
    ['k8s-version', { k8sVersion: '1.37' }],
    ['preload', { preload: ['busybox'] }],
    ['before-cluster', { beforeCluster: 'hook.sh' }],
    ['after-cluster', { afterCluster: 'hook.sh' }],
    ['registry-secret', { registrySecret: 'secret' }],
  ])('--%s is refused with --job, by name', (field, over) => {
    expect(() => jobBuildInputs(raw(over))).toThrow(UsageError);
    expect(() => jobBuildInputs(raw(over))).toThrow(
      new RegExp(`^${field}: is for the node image, not with --job`),
    );
  });

  test('a bad kube source or tag is refused as for the node', () => {
    expect(() => jobBuildInputs(raw({ kubeSource: 'git' }))).toThrow(/kube-source: "git" is not one of/);
    expect(() => jobBuildInputs(raw({ tag: 'Not A Ref' }))).toThrow(/^tag: /);
  });

  test('publish --job takes no Kubernetes version', () => {
    const base = { repository: 'registry.example.com/ci/kind-action-job', arch: 'amd64,arm64', job: true };
    expect(publishInputs(base)).toMatchObject({ job: true, arches: ['amd64', 'arm64'] });
    expect(() => publishInputs({ ...base, k8sVersion: '1.37' })).toThrow(/^k8s-version: is for a node image/);
  });
});

describe('wait --url and the kubectl directory', () => {
  test("KIND_ACTION_KUBECTL_DIR (the job image's) is passed to the wait by URL only", () => {
    const env = readRunEnv({ HOME: '/home/me', KIND_ACTION_KUBECTL_DIR: '/opt/kind-action/kubectl' });
    const byUrl = waitInputs({ url: 'http://kind:10080', name: 'kind', timeout: '180s' }, env);
    expect(byUrl).toMatchObject({ by: 'url', kubectlDir: '/opt/kind-action/kubectl' });
    expect(waitInputs({ name: 'kind', timeout: '180s' }, env)).not.toHaveProperty('kubectlDir');
    const none = waitInputs({ url: 'http://kind:10080', name: 'kind', timeout: '180s' }, readRunEnv({}));
    expect(none).toMatchObject({ by: 'url', kubectlDir: undefined });
  });
});

describe('a host name that does not exist ends the wait after a grace period', () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, sleep: async () => {}, advance: (ms: number) => (now += ms) };
  };
  const failing = (code: string) => async () => {
    throw Object.assign(new Error(code), { code });
  };

  test('not yet within the grace period, fatal after it, naming the host', async () => {
    const c = clock();
    const probe = new HostResolvesProbe('kube', 20_000, failing('ENOTFOUND'), c);
    expect(await probe.check()).toEqual({ ok: false, reason: 'kube: does not resolve (ENOTFOUND)' });
    c.advance(19_999);
    expect((await probe.check()).ok).toBe(false);
    expect(await probe.check()).not.toHaveProperty('fatal');
    c.advance(1);
    const result = await probe.check();
    expect(result).toMatchObject({ ok: false, fatal: true });
    expect(result.ok || result.reason).toMatch(/^the host "kube" does not resolve \(looked for 20s\)/);
  });

  test('a lookup that fails for now (no answer) is never fatal', async () => {
    const c = clock();
    const probe = new HostResolvesProbe('kind', 1000, failing('EAI_AGAIN'), c);
    c.advance(60_000);
    expect(await probe.check()).toEqual({ ok: false, reason: 'kind: lookup failed (EAI_AGAIN)' });
    c.advance(60_000);
    expect(await probe.check()).not.toHaveProperty('fatal');
  });

  test('a name that resolves, or an address, passes', async () => {
    let asked = 0;
    const resolve = async () => {
      asked++;
    };
    expect(await new HostResolvesProbe('kind', 1000, resolve).check()).toEqual({ ok: true, value: true });
    expect(await new HostResolvesProbe('127.0.0.1', 1000, failing('ENOTFOUND')).check()).toMatchObject({
      ok: true,
    });
    expect(await new HostResolvesProbe('[::1]', 1000, failing('ENOTFOUND')).check()).toMatchObject({
      ok: true,
    });
    expect(asked).toBe(1);
  });
});
