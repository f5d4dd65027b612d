import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { DockerClient } from '../docker/client.js';

/**
 * sha256 over the image recipe directory: every file's relative path and
 * content, in sorted order, so the hash is the same on every machine.
 */
export async function hashTree(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(await readFile(join(dir, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The images a Dockerfile builds FROM (stage names and build args left out). */
export function fromImages(dockerfile: string): string[] {
  const stages = new Set<string>();
  const images: string[] = [];
  for (const line of dockerfile.split('\n')) {
    const m = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!m?.[1]) continue;
    if (!stages.has(m[1]) && !m[1].includes('$')) images.push(m[1]);
    if (m[2]) stages.add(m[2]);
  }
  return images;
}

/** `ref@<local image id>` where the image is present, else the reference alone. */
export async function withImageIds(docker: DockerClient, refs: string[]): Promise<string[]> {
  return Promise.all(
    refs.map(async (ref) => {
      const id = await docker.imageId(ref);
      return id ? `${ref}@${id}` : ref;
    }),
  );
}
