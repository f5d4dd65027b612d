import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { helperFor, registryAuth, registryHost } from '../../src/core/docker/auth.js';
import {
  CredentialHelperError,
  credentialsFromHelper,
  parseHelperAnswer,
} from '../../src/core/docker/cred-helper.js';

/**
 * Real helper programs on PATH, answering as docker-credential-* helpers do:
 * the server on stdin, JSON on stdout, "credentials not found" and exit 1 when
 * the helper holds no login for it.
 */
const dir = mkdtempSync(join(tmpdir(), 'ka-credhelper-'));
const savedPath = process.env.PATH;

function helper(name: string, body: string): void {
  const file = join(dir, `docker-credential-${name}`);
  writeFileSync(file, `#!/bin/sh\n[ "$1" = get ] || exit 3\nserver=$(cat)\n${body}\n`);
  chmodSync(file, 0o755);
}

beforeAll(() => {
  helper(
    'store',
    `case "$server" in
  https://index.docker.io/v1/) echo '{"ServerURL":"'$server'","Username":"hub","Secret":"hub-pw"}' ;;
  registry.example.com) echo '{"ServerURL":"'$server'","Username":"<token>","Secret":"refresh-token"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac`,
  );
  helper('ecr', `echo '{"ServerURL":"'$server'","Username":"AWS","Secret":"ecr-pw"}'`);
  helper('broken', `echo "cannot reach the keychain" >&2; exit 7`);
  helper('garbled', `echo 'not json'`);
  process.env.PATH = `${dir}${delimiter}${savedPath ?? ''}`;
});

afterAll(() => {
  process.env.PATH = savedPath;
});

function configFile(config: object): string {
  const file = join(mkdtempSync(join(dir, 'cfg-')), 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

describe('credential helpers, in the Docker CLI order', () => {
  const config = {
    auths: { 'ghcr.io': {}, 'plain.example.com': { auth: Buffer.from('u:p').toString('base64') } },
    credsStore: 'store',
    credHelpers: { '123.dkr.ecr.us-east-1.amazonaws.com': 'ecr' },
  };

  test.each([
    ['123.dkr.ecr.us-east-1.amazonaws.com/ci/node', 'ecr'],
    ['ghcr.io/kind-action/kind-action-node', 'store'],
    ['node', 'store'],
    ['plain.example.com/ci/node', 'store'],
  ])('%s is asked of %s', (repository, expected) => {
    expect(helperFor(JSON.stringify(config), registryHost(repository))).toBe(expected);
  });

  test('no credsStore and no credHelpers entry: the auths entry', async () => {
    const file = configFile({ auths: config.auths });
    expect(await registryAuth('plain.example.com/ci/node', undefined, file)).toEqual({
      username: 'u',
      password: 'p',
      serveraddress: 'plain.example.com',
    });
  });

  test("a host's own helper answers for it", async () => {
    const auth = await registryAuth(
      '123.dkr.ecr.us-east-1.amazonaws.com/ci/node',
      undefined,
      configFile(config),
    );
    expect(auth).toEqual({
      username: 'AWS',
      password: 'ecr-pw',
      serveraddress: '123.dkr.ecr.us-east-1.amazonaws.com',
    });
  });

  test('Docker Hub is asked for under its v1 URL, as docker login stores it', async () => {
    const auth = await registryAuth('library/node', undefined, configFile(config));
    expect(auth).toEqual({ username: 'hub', password: 'hub-pw', serveraddress: 'docker.io' });
  });

  test('a <token> user is an identity token, not a password', async () => {
    const auth = await registryAuth('registry.example.com/ci/node', undefined, configFile(config));
    expect(auth).toEqual({
      username: '',
      password: '',
      identitytoken: 'refresh-token',
      serveraddress: 'registry.example.com',
    });
  });

  test('"credentials not found" is anonymous, not an error', async () => {
    expect(
      await registryAuth('ghcr.io/kind-action/kind-action-node', undefined, configFile(config)),
    ).toBeUndefined();
  });

  test('the REGISTRY login for the host wins over any helper', async () => {
    const auth = await registryAuth(
      'ghcr.io/kind-action/kind-action-node',
      { server: 'ghcr.io', user: 'bot', password: 'pw' },
      configFile(config),
    );
    expect(auth).toEqual({ username: 'bot', password: 'pw', serveraddress: 'ghcr.io' });
  });

  test.each([
    ['broken', /docker-credential-broken get ghcr\.io: exit 7: cannot reach the keychain/],
    ['garbled', /docker-credential-garbled get ghcr\.io: the answer is not JSON/],
    ['absent', /docker-credential-absent: .*ENOENT/],
    ['../evil', /"\.\.\/evil" is not a credential helper name/],
  ])('helper %s: a CredentialHelperError naming it', async (name, message) => {
    const err = await credentialsFromHelper(name, 'ghcr.io', 'ghcr.io').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialHelperError);
    expect((err as CredentialHelperError).helper).toBe(name);
    expect((err as Error).message).toMatch(message);
  });

  test.each([
    ['{"Username":"u"}', /lacks Username or Secret/],
    ['{"Username":7,"Secret":"s"}', /lacks Username or Secret/],
    ['{"Username":"u","Secret":""}', /lacks Username or Secret/],
  ])('answer %s is refused', (text, message) => {
    expect(() => parseHelperAnswer(text, 'ghcr.io')).toThrow(message);
  });
});
