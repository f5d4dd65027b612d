import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { fromDockerConfig, registryAuth, registryHost } from '../../src/core/docker/auth.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('registry credentials for a pull', () => {
  test.each([
    ['ghcr.io/kind-action/kind-action-node', 'ghcr.io'],
    ['127.0.0.1:5000/ci/node', '127.0.0.1:5000'],
    ['localhost/ci/node', 'localhost'],
    ['library/node', 'docker.io'],
    ['node', 'docker.io'],
  ])('%s is on %s', (repository, host) => {
    expect(registryHost(repository)).toBe(host);
  });

  const config = JSON.stringify({
    auths: {
      'ghcr.io': { auth: b64('bot:p:w') },
      'https://registry.example.com': { auth: b64('ci:secret') },
      'https://index.docker.io/v1/': { auth: b64('hub:pw') },
      'broken.example.com': { auth: b64('no-colon') },
    },
  });

  test.each([
    ['ghcr.io', { username: 'bot', password: 'p:w', serveraddress: 'ghcr.io' }],
    ['registry.example.com', { username: 'ci', password: 'secret', serveraddress: 'registry.example.com' }],
    ['docker.io', { username: 'hub', password: 'pw', serveraddress: 'docker.io' }],
    ['broken.example.com', undefined],
    ['other.example.com', undefined],
  ])('the Docker config entry for %s', (host, auth) => {
    expect(fromDockerConfig(config, host)).toEqual(auth);
  });

  test('not JSON: no credentials', () => {
    expect(fromDockerConfig('{', 'ghcr.io')).toBeUndefined();
  });

  test('the REGISTRY login wins for its host; another host reads the Docker config; no file: anonymous', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ka-auth-')), 'config.json');
    writeFileSync(file, config);
    const login = { server: 'ghcr.io', user: 'env-user', password: 'env-pw' };
    expect(await registryAuth('ghcr.io/a/b', login, file)).toEqual({
      username: 'env-user',
      password: 'env-pw',
      serveraddress: 'ghcr.io',
    });
    expect(await registryAuth('registry.example.com/a/b', login, file)).toMatchObject({ username: 'ci' });
    expect(await registryAuth('registry.example.com/a/b', login, join(file, 'missing'))).toBeUndefined();
  });
});
