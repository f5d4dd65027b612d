import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { getInputs } from '../../src/action/inputs.js';
import { upInputs } from '../../src/cli/inputs.js';
import { buildProgram } from '../../src/cli/program.js';
import { ConfigFileError, UsageError } from '../../src/core/errors.js';
import { argsField, COMPONENT_NAMES, overrideArgs } from '../../src/core/options/args.js';
import {
  type ClusterOptions,
  clusterOptions,
  clusterOptionsEnv,
  OPTIONS_ENV,
  type RawClusterOptions,
} from '../../src/core/options/cluster-options.js';
import { readConfigFile } from '../../src/core/options/config-file.js';
import { readRunEnv } from '../../src/core/run-env.js';
import { actionInputs, cliValueOptions, clusterOptionFields } from '../support/sources-of-truth.js';

const dir = mkdtempSync(join(tmpdir(), 'ka-options-'));
let files = 0;

/** A config file with this text; its path. */
function configFile(text: string): string {
  const path = join(dir, `options-${files++}.yaml`);
  writeFileSync(path, text);
  return path;
}

const NONE: RawClusterOptions = { config: undefined, featureGates: [], runtimeConfig: [], args: {} };

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('overrideArgs: a flag named later replaces every earlier occurrence; repeats within a layer stay', () => {
  test.each<[string[], string[], string[]]>([
    [[], [], []],
    [['--v=2'], [], ['--v=2']],
    [[], ['--v=2'], ['--v=2']],
    [['--v=2', '--event-ttl=1h'], ['--v=4'], ['--event-ttl=1h', '--v=4']],
    [['--v=2', '--v=3'], ['--v'], ['--v']],
    [
      ['--api-audiences=a'],
      ['--api-audiences=b', '--api-audiences=c'],
      ['--api-audiences=b', '--api-audiences=c'],
    ],
    [['--a=1', '--b=2'], ['--c=3'], ['--a=1', '--b=2', '--c=3']],
  ])('%j under %j → %j', (earlier, later, merged) => {
    expect(overrideArgs(earlier, later)).toEqual(merged);
  });
});

describe('flag and input values', () => {
  test('feature gates, runtime-config and arguments are parsed and merged', () => {
    expect(
      clusterOptions({
        config: undefined,
        featureGates: ['A=true,B=FALSE', 'A=false\nC=true'],
        runtimeConfig: ['api/alpha=true resource.k8s.io/v1beta1=false'],
        args: {
          apiserver: ['--v=2  --event-ttl=5m', '--service-node-port-range=20000-40000'],
          kubelet: ['--v=3'],
        },
      }),
    ).toEqual({
      featureGates: { A: false, B: false, C: true },
      runtimeConfig: { 'api/alpha': true, 'resource.k8s.io/v1beta1': false },
      args: {
        apiserver: ['--v=2', '--event-ttl=5m', '--service-node-port-range=20000-40000'],
        kubelet: ['--v=3'],
      },
    });
  });

  test.each<[string, Partial<RawClusterOptions>, string, RegExp]>([
    ['empty gates', { featureGates: [''] }, 'feature-gates', /"" is empty/],
    ['gate without a value', { featureGates: ['A'] }, 'feature-gates', /"A" is not NAME=true\|false/],
    ['gate not a boolean', { featureGates: ['A=yes'] }, 'feature-gates', /"A=yes" is not NAME=true\|false/],
    [
      'gate name with a dot',
      { featureGates: ['a.b=true'] },
      'feature-gates',
      /"a.b" is not a feature gate name/,
    ],
    ['shell in a gate', { featureGates: ['$(id)=true'] }, 'feature-gates', /is not a feature gate name/],
    [
      'runtime-config not a boolean',
      { runtimeConfig: ['api/all=on'] },
      'runtime-config',
      /is not GROUP\/VERSION/,
    ],
    [
      'runtime-config bad key',
      { runtimeConfig: ['API/All=true'] },
      'runtime-config',
      /"API\/All" is not an API/,
    ],
    ['argument not a flag', { args: { apiserver: ['v=2'] } }, 'apiserver-args', /"v=2" is not a flag/],
    ['single dash', { args: { scheduler: ['-v=2'] } }, 'scheduler-args', /"-v=2" must start with --/],
    ['value as a second argument', { args: { kubelet: ['--v 2'] } }, 'kubelet-args', /"2" is not a flag/],
    ['empty arguments', { args: { apiserver: [' '] } }, 'apiserver-args', /is empty/],
    ['control character', { args: { apiserver: ['--v=\u00072'] } }, 'apiserver-args', /is not a flag/],
    [
      'feature gates as an argument',
      { args: { 'controller-manager': ['--feature-gates=A=true'] } },
      'controller-manager-args',
      /--feature-gates is given with the feature-gates option/,
    ],
    [
      'runtime-config as an argument',
      { args: { apiserver: ['--runtime-config=api/all=true'] } },
      'apiserver-args',
      /given with the runtime-config option/,
    ],
    [
      'a flag the baked cluster depends on',
      { args: { apiserver: ['--service-cluster-ip-range=10.0.0.0/16'] } },
      'apiserver-args',
      /--service-cluster-ip-range is fixed by the node/,
    ],
    [
      'kubelet node name',
      { args: { kubelet: ['--hostname-override=x'] } },
      'kubelet-args',
      /fixed by the node/,
    ],
    [
      'kube-proxy non-logging flag',
      { args: { proxy: ['--proxy-mode=ipvs'] } },
      'proxy-args',
      /only logging flags/,
    ],
    ['config that does not exist', { config: '/nonexistent.yaml' }, 'config', /is not an existing file/],
  ])('%s → a UsageError with field %s', (_, raw, field, message) => {
    const err = thrown(() => clusterOptions({ ...NONE, ...raw }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toMatchObject({ field, exitCode: 2 });
    expect((err as UsageError).detail).toMatch(message);
  });

  test('kube-proxy takes its logging flags', () => {
    expect(clusterOptions({ ...NONE, args: { proxy: ['--v=4 --logging-format=text'] } }).args.proxy).toEqual([
      '--v=4',
      '--logging-format=text',
    ]);
  });
});

describe('the config file', () => {
  const EXAMPLE = `# cluster options
feature-gates:
  InPlacePodVerticalScaling: true
  SomeAlphaGate: false
runtime-config:
  api/alpha: false
  resource.k8s.io/v1beta1: true
apiserver-args:
  - --service-node-port-range=20000-40000
  - --event-ttl=30m
controller-manager-args: []
scheduler-args: [--v=2]
kubelet-args:
  - --v=3
proxy-args:
  - --v=2
`;

  test('the README example reads into every option', () => {
    expect(readConfigFile(configFile(EXAMPLE))).toEqual({
      featureGates: { InPlacePodVerticalScaling: true, SomeAlphaGate: false },
      runtimeConfig: { 'api/alpha': false, 'resource.k8s.io/v1beta1': true },
      args: {
        apiserver: ['--service-node-port-range=20000-40000', '--event-ttl=30m'],
        'controller-manager': [],
        scheduler: ['--v=2'],
        kubelet: ['--v=3'],
        proxy: ['--v=2'],
      },
    });
  });

  test('an empty file is no options', () => {
    expect(readConfigFile(configFile(''))).toEqual({ featureGates: {}, runtimeConfig: {}, args: {} });
  });

  test.each<[string, string, string, RegExp]>([
    [
      'unknown top-level key',
      'featureGates:\n  A: true\n',
      'featureGates',
      /featureGates: unknown key \(known: feature-gates, runtime-config, apiserver-args/,
    ],
    [
      'wrong type: a gate as a string',
      'feature-gates:\n  A: "yes"\n',
      'feature-gates.A',
      /feature-gates\.A: .*expected boolean/,
    ],
    [
      'wrong type: arguments as a string',
      'apiserver-args: --v=2\n',
      'apiserver-args',
      /apiserver-args: .*expected array/,
    ],
    [
      'wrong type: a number in the arguments',
      'kubelet-args: [--v=2, 3]\n',
      'kubelet-args[1]',
      /kubelet-args\[1\]: .*expected string/,
    ],
    ['wrong type: the file a list', '- a\n', '', /\(top level\): .*expected object/],
    [
      'a key with a slash, quoted in the path',
      'runtime-config:\n  api/all: 1\n',
      'runtime-config["api/all"]',
      /runtime-config\["api\/all"\]: .*expected boolean/,
    ],
    [
      'a bad gate name',
      'feature-gates:\n  "a b": true\n',
      'feature-gates["a b"]',
      /is not a feature gate name/,
    ],
    [
      'a fixed flag',
      'apiserver-args:\n  - --v=1\n  - --etcd-servers=http://x:2379\n',
      'apiserver-args[1]',
      /apiserver-args\[1\]: --etcd-servers is fixed by the node/,
    ],
    ['not YAML', 'feature-gates: [\n', '', /not valid YAML \(line \d+\)/],
  ])('%s → ConfigFileError at %j', (_, text, key, message) => {
    const path = configFile(text);
    const err = thrown(() => clusterOptions({ ...NONE, config: path }));
    expect(err).toBeInstanceOf(ConfigFileError);
    expect(err).toMatchObject({ field: 'config', exitCode: 2 });
    if (key) expect((err as ConfigFileError).key).toBe(key);
    expect((err as ConfigFileError).detail).toContain(path);
    expect((err as ConfigFileError).detail).toMatch(message);
  });

  test('flags win over the file: gates and APIs per key, arguments per flag', () => {
    const path = configFile(
      'feature-gates: {A: true, B: true}\nruntime-config: {api/alpha: true}\napiserver-args: [--v=1, --event-ttl=1h]\n',
    );
    expect(
      clusterOptions({
        config: path,
        featureGates: ['B=false'],
        runtimeConfig: ['api/beta=true'],
        args: { apiserver: ['--v=5'] },
      }),
    ).toEqual({
      featureGates: { A: true, B: false },
      runtimeConfig: { 'api/alpha': true, 'api/beta': true },
      args: { apiserver: ['--event-ttl=1h', '--v=5'] },
    });
  });
});

describe('what the node receives', () => {
  test('no options: no environment, so a plain start is unchanged', () => {
    expect(clusterOptionsEnv(undefined)).toEqual({});
    expect(clusterOptionsEnv(clusterOptions(NONE))).toEqual({});
  });

  test("one JSON value, arguments keyed by the node's process names", () => {
    const options: ClusterOptions = {
      featureGates: { A: true },
      runtimeConfig: {},
      args: { apiserver: ['--v=2'], proxy: ['--v=1'], scheduler: [] },
    };
    const env = clusterOptionsEnv(options);
    expect(Object.keys(env)).toEqual([OPTIONS_ENV]);
    expect(JSON.parse(env[OPTIONS_ENV] ?? '')).toEqual({
      featureGates: { A: true },
      args: { 'kube-apiserver': ['--v=2'], 'kube-proxy': ['--v=1'] },
    });
  });
});

describe('every adapter takes every cluster option, under the same name', () => {
  test('the option list is the core component list', () => {
    expect(clusterOptionFields()).toEqual(expect.arrayContaining(COMPONENT_NAMES.map(argsField)));
    expect(clusterOptionFields()).toHaveLength(3 + COMPONENT_NAMES.length);
  });

  test('the CLI: up has each as a flag', () => {
    const up = cliValueOptions()
      .filter((o) => o.command === 'up')
      .map((o) => o.flag);
    expect(up).toEqual(expect.arrayContaining(clusterOptionFields().map((f) => `--${f}`)));
  });

  test('the Action: action.yml has each as an input, with publish, network and listen-address', () => {
    const inputs = actionInputs().map((i) => i.name);
    expect(inputs).toEqual(
      expect.arrayContaining([...clusterOptionFields(), 'publish', 'network', 'listen-address']),
    );
  });

  test('the CLI parses its flags into the options', async () => {
    const program = buildProgram(() => {
      throw new Error('not run');
    });
    let parsed: Record<string, unknown> = {};
    program.commands
      .find((c) => c.name() === 'up')
      ?.action((opts: Record<string, unknown>) => {
        parsed = opts;
      });
    const path = configFile('feature-gates: {A: true}\n');
    await program.parseAsync(
      [
        'up',
        '--config',
        path,
        '--feature-gates',
        'B=true',
        '--apiserver-args=--v=2',
        '--apiserver-args',
        '--event-ttl=5m --v=3',
        '--controller-manager-args=--v=4',
        '--proxy-args=--v=1',
      ],
      { from: 'user' },
    );
    const inputs = upInputs(parsed as Parameters<typeof upInputs>[0], readRunEnv({ HOME: '/home/u' }));
    expect(inputs.clusterOptions).toEqual({
      featureGates: { A: true, B: true },
      runtimeConfig: {},
      args: {
        apiserver: ['--v=2', '--event-ttl=5m', '--v=3'],
        'controller-manager': ['--v=4'],
        proxy: ['--v=1'],
      },
    });
  });

  test('the Action reads its inputs into the options and the placement', () => {
    const path = configFile('kubelet-args: [--v=2]\n');
    const inputs: Record<string, string> = {
      config: path,
      'feature-gates': 'A=true\nB=false',
      'runtime-config': 'api/alpha=true',
      'apiserver-args': '--v=2\n--event-ttl=5m',
      'scheduler-args': '--v=3',
      publish: '8080:30080\n127.0.0.1:0:30443',
      'listen-address': '0.0.0.0',
      network: 'ci-net',
    };
    for (const [k, v] of Object.entries(inputs)) vi.stubEnv(`INPUT_${k.toUpperCase()}`, v);
    const got = getInputs('/home/runner');
    expect(got.clusterOptions).toEqual({
      featureGates: { A: true, B: false },
      runtimeConfig: { 'api/alpha': true },
      args: { apiserver: ['--v=2', '--event-ttl=5m'], scheduler: ['--v=3'], kubelet: ['--v=2'] },
    });
    expect(got.publish).toEqual([
      { hostIp: '0.0.0.0', hostPort: 8080, nodePort: 30080 },
      { hostIp: '127.0.0.1', hostPort: 0, nodePort: 30443 },
    ]);
    expect(got.listenAddress).toBe('0.0.0.0');
    expect(got.network).toBe('ci-net');
  });
});
