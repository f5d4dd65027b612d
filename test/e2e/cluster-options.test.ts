import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import type { UpResult } from '../../src/core/cluster/up.js';
import { cli, isolatedEnv, parseJson } from '../support/cli.js';
import { leftovers, NOTHING, snapshot } from '../support/docker.js';
import { execOk } from '../support/exec.js';
import { kubectl, kubectlOk } from '../support/kubectl.js';

const image = inject('nodeImage');
const kubeBin = inject('kubeBin');
const env = isolatedEnv();
const dir = mkdtempSync(join(tmpdir(), 'ka-cluster-options-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The command line of the node's process named `comm` (as /proc/<pid>/comm spells it), one argument per entry. */
async function cmdline(container: string, comm: string): Promise<string[]> {
  const script =
    'for d in /proc/[0-9]*; do [ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && tr "\\0" "\\n" < "$d/cmdline" && exit 0; done; exit 1';
  const out = await execOk('docker', ['exec', container, 'sh', '-c', script, 'sh', comm]);
  return out.split('\n').filter(Boolean);
}

afterAll(async () => {
  await cli(['down', '--name', 'opts'], env);
  expect(await leftovers('opts')).toEqual(NOTHING);
});

describe('cluster options', () => {
  test.each([
    [
      'an unknown key',
      'featureGates:\n  CSIVolumeHealth: true\n',
      /^error: --config: .*: featureGates: unknown key/m,
    ],
    [
      'a wrong type',
      'feature-gates:\n  CSIVolumeHealth: "yes"\n',
      /^error: --config: .*: feature-gates\.CSIVolumeHealth: .*expected boolean/m,
    ],
  ])('a config file with %s fails before anything starts', async (_, text, message) => {
    const before = await snapshot();
    const r = await cli(
      ['up', '--name', 'badcfg', '--image', image, '--config', file('bad.yaml', text)],
      env,
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(await snapshot()).toEqual(before);
    expect(await leftovers('badcfg')).toEqual(NOTHING);
  });

  test('a feature gate, runtime-config and an API server flag reach the processes, replace defaults, and take effect', async () => {
    const config = file(
      'options.yaml',
      'feature-gates:\n  ContainerCheckpoint: false\napiserver-args:\n  - --service-node-port-range=20000-40000\n',
    );
    const r = await cli(
      [
        'up',
        '--name',
        'opts',
        '--image',
        image,
        '--config',
        config,
        '--feature-gates',
        'CSIVolumeHealth=true',
        '--runtime-config',
        'internal.apiserver.k8s.io/v1alpha1=true',
        // A flag the node already sets (as two arguments): replaced, not repeated.
        '--apiserver-args=--kubelet-preferred-address-types=InternalIP,Hostname',
        '--json',
      ],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    const up = parseJson<UpResult>(r);
    const gates = '--feature-gates=CSIVolumeHealth=true,ContainerCheckpoint=false';

    const apiserver = await cmdline(up.containerId, 'kube-apiserver');
    expect(apiserver).toEqual(
      expect.arrayContaining([
        gates,
        '--service-node-port-range=20000-40000',
        '--kubelet-preferred-address-types=InternalIP,Hostname',
      ]),
    );
    expect(apiserver).toContain('--runtime-config=internal.apiserver.k8s.io/v1alpha1=true');
    expect(apiserver.filter((a) => a.startsWith('--kubelet-preferred-address-types'))).toHaveLength(1);
    expect(apiserver).not.toContain('InternalIP');
    for (const comm of ['kubelet', 'kube-scheduler', 'kube-controller']) {
      expect(await cmdline(up.containerId, comm)).toContain(gates);
    }
    const proxyConfig = await execOk('docker', [
      'exec',
      up.containerId,
      'cat',
      '/var/lib/kube-proxy/config.yaml',
    ]);
    expect(proxyConfig).toMatch(
      /^featureGates:\n {2}CSIVolumeHealth: true\n {2}ContainerCheckpoint: false$/m,
    );

    // The API server reports the gates it runs with.
    const metrics = await kubectlOk(kubeBin, up.kubeconfig, ['get', '--raw', '/metrics']);
    expect(metrics).toMatch(/^kubernetes_feature_enabled\{name="CSIVolumeHealth",stage="ALPHA"\} 1$/m);
    expect(metrics).toMatch(/^kubernetes_feature_enabled\{name="ContainerCheckpoint",stage="BETA"\} 0$/m);

    // An alpha API, off by default, is served.
    const versions = await kubectlOk(kubeBin, up.kubeconfig, ['api-versions']);
    expect(versions.split('\n')).toContain('internal.apiserver.k8s.io/v1alpha1');

    // The node port range is the one given: 20080 (outside the default 30000-32767) is
    // accepted, 19999 (outside the given range) is not.
    await kubectlOk(kubeBin, up.kubeconfig, [
      'create',
      'service',
      'nodeport',
      'in-range',
      '--tcp=80:80',
      '--node-port=20080',
    ]);
    const outside = await kubectl(kubeBin, up.kubeconfig, [
      'create',
      'service',
      'nodeport',
      'out-of-range',
      '--tcp=80:80',
      '--node-port=19999',
    ]);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain(
      'provided port is not in the valid range. The range of valid ports is 20000-40000',
    );
  });
});
