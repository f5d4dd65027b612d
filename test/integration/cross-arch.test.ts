import { cp, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { baseImageTag } from '../../src/core/bake/bake.js';
import { DEFAULT_KUBERNETES, KUBERNETES_VERSIONS } from '../../src/core/image/versions.js';
import { cli, isolatedEnv } from '../support/cli.js';
import { snapshot } from '../support/docker.js';
import { exec, execOk } from '../support/exec.js';
import { kubeBinDir } from '../support/kube-bin.js';

/**
 * The arm64 node's build context, cross-built on this amd64 machine from the
 * same cached builds CI makes (.ci/run builds them first). The architecture
 * of each file is read here from its ELF header, not from the builder.
 */
const VERSION = KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '';
const EM_X86_64 = 0x3e;
const EM_AARCH64 = 0xb7;
/** What the node runs, by the file names the Dockerfile copies. */
const EXPECTED = [
  'bin/kube-node',
  'bin/etcd',
  'bin/kind-agent',
  'bin/pause',
  'cni/bridge',
  'cni/host-local',
  'cni/loopback',
  'cni/portmap',
  'runtime/containerd',
  'runtime/containerd-shim-runc-v2',
  'runtime/ctr',
  'runtime/runc',
  'runtime/dockerd',
  'runtime/docker-proxy',
];

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ka-arch-'));
  dirs.push(d);
  return d;
}

/** e_machine of every ELF file under `dir`, by path relative to it. */
async function elfMachines(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const file = await open(path, 'r');
    try {
      const head = Buffer.alloc(20);
      const { bytesRead } = await file.read(head, 0, 20, 0);
      if (bytesRead === 20 && head.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) {
        out.set(relative(dir, path), head.readUInt16LE(18));
      }
    } finally {
      await file.close();
    }
  }
  return out;
}

async function armContext(): Promise<string> {
  const out = join(await tempDir(), 'ctx');
  await execOk('bash', ['image/context.sh', VERSION, out, '--arch', 'arm64']);
  return out;
}

describe(`the arm64 node context of Kubernetes ${VERSION}, cross-built on amd64`, () => {
  test('holds every binary the node runs, and every ELF file in it is aarch64', async () => {
    const machines = await elfMachines(await armContext());
    for (const name of EXPECTED) expect(machines.get(name), name).toBe(EM_AARCH64);
    const other = [...machines].filter(([, m]) => m !== EM_AARCH64).map(([f]) => f);
    expect(other).toEqual([]);
  });

  test('a context with one binary of another architecture is refused, naming it', async () => {
    // The arm64 binaries with one amd64 file among them, handed to the
    // assembler the way the bake hands it its bin directory.
    const bin = await kubeBinDir(VERSION, { arch: 'arm64' });
    const mixed = join(await tempDir(), 'bin');
    await cp(bin, mixed, { recursive: true, dereference: false });
    const amd64 = await kubeBinDir(VERSION, { arch: 'amd64' });
    await rm(join(mixed, 'etcd'));
    await cp(join(amd64, 'etcd'), join(mixed, 'etcd'));
    expect((await elfMachines(mixed)).get('etcd')).toBe(EM_X86_64);

    const out = join(await tempDir(), 'ctx');
    const r = await exec('bash', ['image/context.sh', VERSION, out, '--arch', 'arm64'], {
      env: { ...process.env, KUBE_BIN_DIR: mixed },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/etcd/);
    expect(r.stderr).toMatch(/x86[-_]64|amd64/i);
  });
});

describe('kind-action build --arch arm64 on a daemon with only an amd64 base image', () => {
  const env = isolatedEnv();
  const tag = 'kind-action-test/node-arm64:v1';
  const base = baseImageTag(VERSION, 'arm64');

  afterAll(async () => {
    await exec('docker', ['rmi', '-f', tag, base]);
  });

  test('is refused naming both architectures, and leaves no image behind', async () => {
    const before = await snapshot();
    const r = await cli(
      ['build', '--kube-source', 'source', '--k8s-version', VERSION, '--arch', 'arm64', '--tag', tag],
      env,
    );
    expect(r.code, r.stderr.slice(-2000)).toBe(1);
    // Refused by the daemon (its builder will not use an amd64 image for linux/arm64) or,
    // where the builder silently takes it, by the bake's own check of the built image.
    expect(r.stderr).toMatch(
      /was built for amd64, not arm64|does not match the specified platform: wanted linux\/arm64, actual: linux\/amd64/,
    );
    for (const ref of [tag, base]) expect((await exec('docker', ['image', 'inspect', ref])).code).not.toBe(0);
    expect(await snapshot()).toEqual(before);
  });
});
