import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { CODECS } from '../../src/core/cache/codec.js';
import { layersFile } from '../../src/core/cache/layers.js';
import { DockerClient } from '../../src/core/docker/client.js';
import type { PublishedSource } from '../../src/core/image/published.js';
import { silentLogger } from '../../src/core/logger.js';
import { cli } from './cli.js';
import { type RunningRegistry, startRegistry } from './registry.js';

/** The entries of a stored top-layers archive (in the entry directory `dir`): name and sha256 of each. */
export async function archiveEntries(
  dir: string,
): Promise<{ file: string; entries: { name: string; sha256: string }[] }> {
  const names = readdirSync(dir);
  const codec = CODECS.find((c) => names.includes(layersFile(c)));
  if (!codec) throw new Error(`no layers archive in ${dir} (${names.join(', ')})`);
  const file = join(dir, layersFile(codec));
  const { stream, done } = codec.decompress(file);
  const extract = tar.extract();
  const feeding = pipeline(stream, extract);
  const entries: { name: string; sha256: string }[] = [];
  for await (const entry of extract) {
    const h = createHash('sha256');
    for await (const chunk of entry) h.update(chunk as Buffer);
    entries.push({ name: entry.header.name, sha256: `sha256:${h.digest('hex')}` });
  }
  await Promise.all([feeding, done]);
  return { file, entries };
}

/** A small image of the user's (one file, `FROM scratch`), built on `client`'s Docker only, as `tag`. */
export async function buildUserImage(client: DockerClient, tag: string, text: string): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), 'ka-e2e-user-image-'));
  try {
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY hello.txt /hello.txt\n');
    writeFileSync(join(ctx, 'hello.txt'), `${text}\n`);
    const events = await client.buildImage(ctx, ['Dockerfile', 'hello.txt'], { tag, labels: {} }, () => {});
    if (events.some((e) => e.error)) throw new Error(`building ${tag} failed`);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** The node image published to a real registry, with a small image of the user's on this Docker. */
export interface PublishedNode {
  client: DockerClient;
  registry: RunningRegistry;
  repository: string;
  source: PublishedSource;
}

/**
 * Start a registry, publish the e2e node image of `version` there as
 * `127.0.0.1:PORT/ka-e2e/NAME` (the way the release does), and build the user's
 * image `userImage` on this Docker only.
 */
export async function publishNode(
  name: string,
  version: string,
  env: NodeJS.ProcessEnv,
  userImage: string,
): Promise<PublishedNode> {
  const client = await DockerClient.connect(
    { kind: 'socket', socketPath: '/var/run/docker.sock', source: 'the test' },
    silentLogger,
  );
  const registry = await startRegistry({ publish: true });
  const repository = `127.0.0.1:${registry.hostPort}/ka-e2e/${name}`;
  const r = await cli(['publish', '--repository', repository, '--k8s-version', version, '--json'], env);
  if (r.code !== 0) throw new Error(`publish failed: ${r.stderr}`);
  await buildUserImage(client, userImage, `preloaded ${userImage}`);
  const source = { repository, digest: undefined, explicit: true, auth: undefined };
  return { client, registry, repository, source };
}
