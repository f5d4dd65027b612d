import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { demuxLogs, lastLines } from '../../src/core/docker/demux.js';
import { parseHost, resolveEndpoint } from '../../src/core/docker/endpoint.js';
import { dockerMessage, isCapsFailure, mapDockerError } from '../../src/core/docker/errors.js';
import { PullProgress } from '../../src/core/docker/progress.js';
import {
  DockerApiError,
  DockerUnavailableError,
  ImageNotFoundError,
  NameTakenError,
  PortInUseError,
  UsageError,
} from '../../src/core/errors.js';

describe('resolveEndpoint', () => {
  const none = (): undefined => undefined;
  const files = (map: Record<string, string>) => (path: string) => map[path];
  const ctxId = createHash('sha256').update('remote').digest('hex');

  test.each([
    [{}, none, { kind: 'socket', socketPath: '/var/run/docker.sock', source: 'the default socket' }],
    [
      { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' },
      none,
      { kind: 'socket', socketPath: '/run/user/1000/docker.sock' },
    ],
    [
      { DOCKER_HOST: 'tcp://10.1.2.3:2375' },
      none,
      { kind: 'tcp', host: '10.1.2.3', port: 2375, tls: undefined },
    ],
    [
      { DOCKER_HOST: 'tcp://docker:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      none,
      {
        kind: 'tcp',
        port: 2376,
        tls: { ca: '/certs/ca.pem', cert: '/certs/cert.pem', key: '/certs/key.pem', verify: true },
      },
    ],
    [{ DOCKER_HOST: 'tcp://[::1]' }, none, { kind: 'tcp', host: '::1', port: 2375 }],
    [
      { HOME: '/h' },
      files({
        '/h/.docker/config.json': '{"currentContext":"remote"}',
        [`/h/.docker/contexts/meta/${ctxId}/meta.json`]:
          '{"Endpoints":{"docker":{"Host":"tcp://ctx-host:2375"}}}',
      }),
      { kind: 'tcp', host: 'ctx-host', source: 'docker context "remote"' },
    ],
    [
      { HOME: '/h', DOCKER_CONTEXT: 'remote' },
      files({
        [`/h/.docker/contexts/meta/${ctxId}/meta.json`]:
          '{"Endpoints":{"docker":{"Host":"unix:///ctx.sock"}}}',
      }),
      { kind: 'socket', socketPath: '/ctx.sock' },
    ],
    [
      { HOME: '/h' },
      files({ '/h/.docker/config.json': '{broken' }),
      { kind: 'socket', socketPath: '/var/run/docker.sock' },
    ],
    [{ HOME: '/h' }, files({ '/h/.docker/config.json': '{"currentContext":"default"}' }), { kind: 'socket' }],
  ])('%j', (env, read, expected) => {
    expect(resolveEndpoint(env, read)).toMatchObject(expected);
  });

  test.each(['ssh://host', 'tcp://', 'docker:2375', 'tcp://a b'])('DOCKER_HOST %j is refused', (value) => {
    expect(() => parseHost(value, 'DOCKER_HOST', undefined)).toThrow(UsageError);
  });
});

describe('mapDockerError', () => {
  const err = (props: Record<string, unknown>) =>
    Object.assign(new Error(String(props.message ?? '')), props);
  test.each([
    [err({ code: 'ECONNREFUSED' }), DockerUnavailableError, /cannot reach a Docker daemon at unix:\/\/\/x/],
    [err({ code: 'ENOENT' }), DockerUnavailableError, /ENOENT/],
    [
      err({ statusCode: 404, json: { message: 'No such image: foo:1' } }),
      ImageNotFoundError,
      /No such image: foo:1/,
    ],
    [
      err({ statusCode: 500, json: { message: 'pull access denied for foo' } }),
      ImageNotFoundError,
      /pull access denied/,
    ],
    [
      err({
        statusCode: 500,
        json: { message: 'driver failed: Bind for 127.0.0.1:8080 failed: port is already allocated' },
      }),
      PortInUseError,
      /already in use.*already allocated/,
    ],
    [
      err({ statusCode: 500, message: 'listen tcp 127.0.0.1:80: bind: address already in use' }),
      PortInUseError,
      /in use/,
    ],
    [
      err({
        statusCode: 409,
        json: {
          message: 'Conflict. The container name "/kind-action-kind" is already in use by container "abc"',
        },
      }),
      NameTakenError,
      /already in use by container/,
    ],
    [
      err({ statusCode: 500, json: { message: 'something else' } }),
      DockerApiError,
      /^start: something else$/,
    ],
  ])('%#', (input, type, message) => {
    const mapped = mapDockerError('start', input, 'unix:///x');
    expect(mapped).toBeInstanceOf(type);
    expect(mapped.message).toMatch(message);
  });

  test('dockerode prefixes are stripped and caps failures recognised', () => {
    const e = new Error(
      '(HTTP code 500) server error - failed to create shim task: unable to apply caps: operation not permitted',
    );
    expect(dockerMessage(e)).toBe(
      'failed to create shim task: unable to apply caps: operation not permitted',
    );
    expect(isCapsFailure(e)).toBe(true);
    expect(isCapsFailure(new Error('no space left on device'))).toBe(false);
  });
});

describe('logs', () => {
  const frame = (stream: number, text: string): Buffer => {
    const body = Buffer.from(text);
    const head = Buffer.alloc(8);
    head[0] = stream;
    head.writeUInt32BE(body.length, 4);
    return Buffer.concat([head, body]);
  };

  test.each([
    [Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n')]), 'out\nerr\n'],
    [Buffer.from('plain tty output\n'), 'plain tty output\n'],
    [Buffer.alloc(0), ''],
  ])('demux %#', (input, expected) => {
    expect(demuxLogs(input)).toBe(expected);
  });

  test('lastLines keeps the tail', () => {
    expect(lastLines('1\n2\n3\n4\n', 2)).toBe('3\n4');
  });
});

describe('PullProgress', () => {
  test('folds layer events into one line', () => {
    const p = new PullProgress();
    p.add({ id: 'a', status: 'Pulling fs layer' });
    p.add({ id: 'b', status: 'Already exists' });
    p.add({ id: 'a', status: 'Downloading', progressDetail: { current: 5e6, total: 1e7 } });
    p.add({ id: 'v1', status: 'Pulling from library/x' });
    expect(p.line('x:1')).toBe('pulling x:1: 1/3 layers, 5.0/10.0 MB');
    p.add({ id: 'a', status: 'Pull complete' });
    expect(p.summary()).toMatchObject({ done: 2, current: 1e7, total: 1e7 });
  });
});
