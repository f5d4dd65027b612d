import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_KUBERNETES, KUBERNETES_VERSIONS, publishedTag } from '../../src/core/image/versions.js';
import { readCommandFile, removeRunnerJobs, runMain, runnerJob, runPost } from '../support/action.js';
import { type RunningCacheServer, startCacheServer } from '../support/cache-server.js';
import { cli, isolatedEnv } from '../support/cli.js';
import { docker, leftovers, NOTHING } from '../support/docker.js';
import { fakeNodeImage } from '../support/fake-node.js';
import { type RunningRegistry, startRegistry } from '../support/registry.js';

/**
 * The Action with `repository` (a mirror) and an empty cache: main pulls the
 * node image from a real registry and says so, post saves the pulled image in
 * the Actions cache (act's cache server), and the next job's main restores it
 * from there. The image is the test node that answers ready at once.
 */
const TAG = publishedTag(KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '');
let registry: RunningRegistry;
let cache: RunningCacheServer;
let repository = '';

beforeAll(async () => {
  registry = await startRegistry({
    publish: true,
    seed: [{ image: fakeNodeImage('ready'), ref: `ka-test/node:${TAG}` }],
  });
  repository = `127.0.0.1:${registry.hostPort}/ka-test/node`;
  cache = await startCacheServer();
}, 300_000);

afterAll(async () => {
  await cli(['down', '--name', 'act-pull'], isolatedEnv());
  await docker
    .getImage(`${repository}:${TAG}`)
    .remove({ force: true })
    .catch(() => {});
  removeRunnerJobs();
  await registry?.stop();
  await cache?.stop();
});

describe('the Action with repository: pull, cache the pulled image, restore it', () => {
  test('first job pulls and post saves it; the second job restores it from the cache', async () => {
    const inputs = { name: 'act-pull', repository, wait: '60s' };
    const first = runnerJob(cache.env);
    const r = await runMain(first, inputs);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`pulling ${repository}:${TAG}`);
    expect(readCommandFile(first.files.output)).toMatchObject({
      image: `${repository}:${TAG}`,
      'image-source': 'pull',
      'cache-hit': 'false',
    });
    const state = JSON.parse(readCommandFile(first.files.state)['kind-action'] ?? '{}');
    expect(state.save).toMatchObject({ ref: `${repository}:${TAG}`, store: 'actions' });
    const p = await runPost(first, inputs);
    expect(p.code).toBe(0);
    expect(p.stdout).not.toContain('::warning::');
    expect(p.stdout).toMatch(new RegExp(`saved ${repository.replaceAll('.', '\\.')}:${TAG} to the`));
    expect(await leftovers('act-pull')).toEqual(NOTHING);

    // A new runner: the pulled image is gone, the cache holds it.
    await docker.getImage(`${repository}:${TAG}`).remove({ force: true });
    const second = runnerJob(cache.env);
    const again = await runMain(second, inputs);
    expect(again.code, again.stdout).toBe(0);
    expect(readCommandFile(second.files.output)).toMatchObject({
      image: `${repository}:${TAG}`,
      'image-source': 'cache',
      'cache-hit': 'true',
    });
    expect(again.stdout).not.toContain(`pulling ${repository}`);
    const p2 = await runPost(second, inputs);
    expect(p2.code).toBe(0);
    expect(p2.stdout).not.toContain('saved ');
    expect(await leftovers('act-pull')).toEqual(NOTHING);
  });
});
