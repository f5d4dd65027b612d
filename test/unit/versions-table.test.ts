import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { COPIES, staleCopies } from '../../scripts/sync-versions.js';
import {
  DEFAULT_KUBERNETES,
  KUBERNETES_RELEASES,
  KUBERNETES_VERSIONS,
  resolveKubernetesVersion,
} from '../../src/core/image/versions.js';

const table = JSON.parse(readFileSync('versions.json', 'utf8')) as {
  defaultMinor: string;
  kubernetes: Record<string, { version: string }>;
};

describe('the version table (versions.json)', () => {
  test('every copy in a file that cannot read it agrees with it', () => {
    expect(staleCopies('.')).toEqual([]);
  });

  test.each(COPIES.map((c) => [c.file, c] as const))('%s: a changed copy is found stale', (file, copy) => {
    const text = readFileSync(file, 'utf8');
    const pinned = KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '';
    const tampered = text.includes(pinned) ? text.replaceAll(pinned, '9.99.9') : `${text}x`;
    expect(copy.render(tampered)).not.toBe(tampered);
  });

  test('each minor pins a patch of itself, and the default is one of them', () => {
    for (const [minor, row] of Object.entries(table.kubernetes)) {
      expect(row.version.startsWith(`${minor}.`), `${minor} -> ${row.version}`).toBe(true);
    }
    expect(Object.keys(table.kubernetes)).toContain(table.defaultMinor);
  });

  test('the CLI and the Action resolve every minor and patch of the table, and nothing else', () => {
    for (const [minor, row] of Object.entries(table.kubernetes)) {
      expect(resolveKubernetesVersion(minor)).toBe(row.version);
      expect(resolveKubernetesVersion(`v${row.version}`)).toBe(row.version);
    }
    expect(resolveKubernetesVersion(undefined)).toBe(table.kubernetes[table.defaultMinor]?.version);
    expect(() => resolveKubernetesVersion('1.34')).toThrow(/not supported/);
    expect(KUBERNETES_RELEASES.map((r) => r.minor)).toEqual(
      Object.keys(table.kubernetes).sort((a, b) => Number(b.split('.')[1]) - Number(a.split('.')[1])),
    );
  });

  test.each(['.ci/run', 'image/kube/build-source.sh', 'image/context.sh'])(
    '%s writes no Kubernetes version of its own',
    (file) => {
      const text = readFileSync(file, 'utf8');
      for (const { version } of Object.values(table.kubernetes)) expect(text).not.toContain(version);
      expect(text).not.toMatch(/\b1\.3\d\.\d+\b/);
    },
  );
});
