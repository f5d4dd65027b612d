import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { restoreImage, saveImage } from '../../src/core/cache/image-cache.js';
import { LocalDirectoryStore } from '../../src/core/cache/local-store.js';
import type { UpResult as UpJson } from '../../src/core/cluster/up.js';
import { DockerClient } from '../../src/core/docker/client.js';
import { silentLogger } from '../../src/core/logger.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { leftovers, NOTHING, snapshot } from '../support/docker.js';
import { execOk } from '../support/exec.js';
import { kubectlOk, nodesReady } from '../support/kubectl.js';

/**
 * The node image through the Action's cache and back: exported, compressed,
 * stored, removed, imported — then it must boot into a ready cluster like the
 * image it came from, with the same configuration.
 */
const image = inject('nodeImage');
const kubeBin = inject('kubeBin');
const REF = 'kind-action-test/node-cache:v1';
const env = isolatedEnv();
const dir = mkdtempSync(join(tmpdir(), 'ka-cache-e2e-'));

afterAll(async () => {
  await cli(['down', '--name', 'cache-rt'], env);
  expect(await leftovers('cache-rt')).toEqual(NOTHING);
  await execOk('docker', ['rmi', '-f', REF]).catch(() => '');
  rmSync(dir, { recursive: true, force: true });
});

const inspect = async (ref: string, format: string): Promise<string> =>
  (await execOk('docker', ['image', 'inspect', '-f', format, ref])).trim();

describe('the node image restored from the cache', () => {
  test('is one imported layer with the same configuration, and comes up Ready', async () => {
    const docker = await DockerClient.connect(
      { kind: 'socket', socketPath: '/var/run/docker.sock', source: 'the test' },
      silentLogger,
    );
    await execOk('docker', ['tag', image, REF]);
    const store = new LocalDirectoryStore(join(dir, 'store'));
    const before = await snapshot();
    const saved = await saveImage(
      docker,
      REF,
      'rt-1',
      { store, workDir: join(dir, 'work'), toolPath: process.env.PATH ?? '' },
      silentLogger,
    );
    expect(saved.saved, JSON.stringify(saved)).toBe(true);
    // The container save exported from, and the volume the image's VOLUME gave it, are gone.
    expect(await snapshot()).toEqual(before);
    await execOk('docker', ['rmi', REF]);

    const restored = await restoreImage(
      docker,
      REF,
      { store, key: 'rt-1', prefixes: [], workDir: join(dir, 'work'), toolPath: process.env.PATH ?? '' },
      silentLogger,
    );
    expect(restored, JSON.stringify(restored)).toMatchObject({ hit: true });
    expect(await inspect(REF, '{{len .RootFS.Layers}}')).toBe('1');
    expect(await inspect(REF, '{{.Id}}')).not.toBe(await inspect(image, '{{.Id}}'));
    const config =
      '{{json .Config.Entrypoint}} {{json .Config.Env}} {{json .Config.ExposedPorts}} {{json .Config.Volumes}} {{json .Config.Labels}}';
    expect(await inspect(REF, config)).toBe(await inspect(image, config));

    const up = await cli(['up', '--name', 'cache-rt', '--image', REF, '--json'], env);
    expect(up.code, up.stderr).toBe(0);
    const { kubeconfig } = parseJson<UpJson>(up);
    expect(await nodesReady(kubeBin, kubeconfig)).toBe('True');
    const dns = await kubectlOk(kubeBin, kubeconfig, [
      'get',
      'deployment',
      '-n',
      'kube-system',
      'coredns',
      '-o',
      'jsonpath={.status.readyReplicas}',
    ]);
    expect(Number(dns)).toBeGreaterThanOrEqual(1);
  });
});
