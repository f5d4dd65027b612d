import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

/**
 * The shape the design draws, checked on the source: adapters import the
 * core and nothing of each other, the core imports no adapter and reads no
 * environment, dockerode is reached only through the docker client, and no
 * file outgrows a screenful of screens.
 */
const SRC = resolve('src');
const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts'))
  .map((f) => join(SRC, f));

/** Every module a file imports: static, type-only, re-exports and dynamic imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g))
    found.push(m[1] ?? '');
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+'([^']+)'/g)) found.push(m[1] ?? '');
  for (const m of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g)) found.push(m[1] ?? '');
  return found;
}

/** The part of src/ a file or a relative import lands in: action, cli or core. */
function partOf(path: string): string {
  return relative(SRC, path).split('/')[0] ?? '';
}

/** Data files outside src/ that the code may import: the one version table. */
const DATA = [resolve('versions.json')];

const ALLOWED: Record<string, string[]> = {
  action: ['action', 'core'],
  cli: ['cli', 'core'],
  core: ['core'],
};

describe('structure of src/', () => {
  test('the walk sees every part and their imports', () => {
    expect(new Set(files.map(partOf))).toEqual(new Set(['action', 'cli', 'core']));
    // A parser that found nothing would pass every rule below.
    expect(importsOf(join(SRC, 'action', 'run-main.ts'))).toContain('../core/cluster/up.js');
    expect(importsOf(join(SRC, 'cli', 'commands.ts'))).toContain('../core/cluster/find.js');
  });

  test.each(files.map((f) => [relative(SRC, f), f]))('%s imports only what its part may', (_, file) => {
    const from = partOf(file);
    const wrong = importsOf(file)
      .filter((spec) => spec.startsWith('.') && !DATA.includes(resolve(dirname(file), spec)))
      .map((spec) => partOf(resolve(dirname(file), spec)))
      .filter((to) => !(ALLOWED[from] ?? []).includes(to));
    expect(wrong).toEqual([]);
  });

  test('dockerode only in src/core/docker, @kubernetes/client-node only in src/core/host-cluster, @actions/* only in src/action', () => {
    const offenders = files.flatMap((file) => {
      const rel = relative(SRC, file);
      return importsOf(file)
        .filter(
          (spec) =>
            (spec === 'dockerode' && !rel.startsWith('core/docker/')) ||
            (spec === '@kubernetes/client-node' && !rel.startsWith('core/host-cluster/')) ||
            (spec.startsWith('@actions/') && !rel.startsWith('action/')),
        )
        .map((spec) => `${rel} → ${spec}`);
    });
    expect(offenders).toEqual([]);
  });

  test('the core reads no environment', () => {
    const readers = files
      .filter((f) => partOf(f) === 'core')
      .filter((f) => /\bprocess\.env\b/.test(readFileSync(f, 'utf8').replace(/^\s*(\*|\/\/).*$/gm, '')))
      .map((f) => relative(SRC, f));
    expect(readers).toEqual([]);
  });

  test('no file in src/ is over 250 lines', () => {
    const long = files
      .map((f) => [relative(SRC, f), readFileSync(f, 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > 250);
    expect(long).toEqual([]);
  });
});
