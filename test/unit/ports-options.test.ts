import { describe, expect, test } from 'vitest';
import { nodeCreateOptions } from '../../src/core/cluster/create-options.js';
import {
  dialHost,
  hostPortUrl,
  mappedPort,
  parsePublish,
  planPorts,
  portBindings,
} from '../../src/core/cluster/ports.js';
import { LABEL } from '../../src/core/labels.js';

describe('parsePublish', () => {
  test.each([
    ['8080:30080', { hostIp: '127.0.0.1', hostPort: 8080, nodePort: 30080 }],
    ['0.0.0.0:8080:30080', { hostIp: '0.0.0.0', hostPort: 8080, nodePort: 30080 }],
    ['[::1]:8080:30080', { hostIp: '::1', hostPort: 8080, nodePort: 30080 }],
    ['0:30080', { hostIp: '127.0.0.1', hostPort: 0, nodePort: 30080 }],
    ['127.0.0.1:16443:8443', { hostIp: '127.0.0.1', hostPort: 16443, nodePort: 8443 }],
  ])('%j', (spec, expected) => {
    expect(parsePublish(spec, '127.0.0.1')).toEqual(expected);
  });

  test.each(['', '8080', 'a:b', '1.2.3:80:80', '70000:80', '80:0', 'localhost:80:80', '80:80;rm -rf /'])(
    '%j is refused naming the publish field',
    (spec) => {
      expect(() => parsePublish(spec, '127.0.0.1')).toThrow(expect.objectContaining({ field: 'publish' }));
    },
  );
});

describe('planPorts', () => {
  test('the three node ports on random loopback ports by default', () => {
    expect(planPorts([], '127.0.0.1')).toEqual([
      { hostIp: '127.0.0.1', hostPort: 0, nodePort: 8443 },
      { hostIp: '127.0.0.1', hostPort: 0, nodePort: 10080 },
      { hostIp: '127.0.0.1', hostPort: 0, nodePort: 2375 },
    ]);
  });

  test('a --publish of a node port replaces its random mapping', () => {
    const fixed = { hostIp: '127.0.0.1', hostPort: 16443, nodePort: 8443 };
    const plan = planPorts([fixed], '127.0.0.1');
    expect(plan.filter((p) => p.nodePort === 8443)).toEqual([fixed]);
    expect(plan).toHaveLength(3);
  });

  test('the same host port twice is refused', () => {
    const p = { hostIp: '127.0.0.1', hostPort: 8080, nodePort: 30080 };
    expect(() => planPorts([p, { ...p, nodePort: 30081 }], '127.0.0.1')).toThrow(/given twice/);
  });
});

describe('port bindings and read-back', () => {
  test('bindings group by node port; 0 becomes an empty host port', () => {
    expect(
      portBindings([
        { hostIp: '127.0.0.1', hostPort: 0, nodePort: 8443 },
        { hostIp: '127.0.0.1', hostPort: 8080, nodePort: 30080 },
        { hostIp: '::1', hostPort: 8081, nodePort: 30080 },
      ]),
    ).toEqual({
      '8443/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '30080/tcp': [
        { HostIp: '127.0.0.1', HostPort: '8080' },
        { HostIp: '::1', HostPort: '8081' },
      ],
    });
  });

  test.each([
    [
      { '8443/tcp': [{ HostIp: '127.0.0.1', HostPort: '32768' }] },
      8443,
      { hostIp: '127.0.0.1', hostPort: 32768 },
    ],
    [{ '8443/tcp': null }, 8443, undefined],
    [{}, 8443, undefined],
    [undefined, 8443, undefined],
  ])('mappedPort(%j, %i)', (ports, nodePort, expected) => {
    expect(mappedPort(ports, nodePort)).toEqual(expected);
  });

  test.each([
    ['127.0.0.1', undefined, '127.0.0.1'],
    ['0.0.0.0', undefined, '127.0.0.1'],
    ['::', undefined, '::1'],
    ['127.0.0.1', 'docker.example', 'docker.example'],
  ])('dialHost(%j, %j) → %j', (bind, remote, expected) => {
    expect(dialHost(bind, remote)).toBe(expected);
  });

  test('IPv6 hosts are bracketed in URLs', () => {
    expect(hostPortUrl('https', '::1', 1)).toBe('https://[::1]:1');
    expect(hostPortUrl('tcp', '127.0.0.1', 2)).toBe('tcp://127.0.0.1:2');
  });
});

describe('nodeCreateOptions', () => {
  const base = {
    cluster: 'ci',
    session: 'abc',
    image: 'kind-action/node:v1.35.4',
    ports: planPorts([], '127.0.0.1'),
    env: { REGISTRY: 'r.example' },
  };

  test.each([
    ['privileged', '1', { Privileged: true }],
    ['privileged', '2', { Privileged: true, CgroupnsMode: 'private' }],
    [
      'fallback',
      '1',
      {
        Privileged: false,
        CapAdd: ['ALL'],
        CapDrop: ['SYS_RESOURCE'],
        DeviceCgroupRules: ['a *:* rwm'],
        MaskedPaths: [],
        ReadonlyPaths: [],
        Binds: ['/dev/kmsg:/dev/kmsg', '/sys/fs/cgroup:/sys/fs/cgroup:rw'],
      },
    ],
    [
      'fallback',
      '2',
      {
        Privileged: false,
        CgroupnsMode: 'host',
        Binds: ['/dev/kmsg:/dev/kmsg', '/sys/fs/cgroup:/sys/fs/cgroup:rw'],
      },
    ],
  ] as const)('%s on cgroup v%s', (privilege, cgroupVersion, expected) => {
    const opts = nodeCreateOptions({ ...base, privilege, cgroupVersion });
    expect(opts.HostConfig).toMatchObject(expected);
    expect(opts.HostConfig?.SecurityOpt).toEqual(['seccomp=unconfined', 'apparmor=unconfined']);
  });

  test('labels, name, env, ports and the /var/lib/docker volume', () => {
    const opts = nodeCreateOptions({ ...base, privilege: 'fallback', cgroupVersion: '1' });
    expect(opts.name).toBe('kind-action-ci');
    expect(opts.Labels).toMatchObject({
      [LABEL.managed]: 'true',
      [LABEL.cluster]: 'ci',
      [LABEL.session]: 'abc',
    });
    expect(opts.Env).toEqual(['REGISTRY=r.example']);
    expect(Object.keys(opts.ExposedPorts ?? {}).sort()).toEqual(['10080/tcp', '2375/tcp', '8443/tcp']);
    const mount = opts.HostConfig?.Mounts?.[0];
    expect(mount?.Target).toBe('/var/lib/docker');
    expect(mount?.VolumeOptions?.Labels).toMatchObject({ [LABEL.cluster]: 'ci' });
  });
});
