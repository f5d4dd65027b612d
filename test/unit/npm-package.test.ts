import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { exec, execOk } from '../support/exec.js';

/** What `npm publish` would ship: the CLI bundle and what it reads at run time, no tests, no sources. */
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  name: string;
  bin: Record<string, string>;
  repository: { url: string };
  publishConfig: { provenance: boolean };
};

describe('the npm package', () => {
  test('publishable: bin, repository (provenance links to it), provenance on', () => {
    expect(pkg.bin).toEqual({ 'kind-action': 'dist/cli/index.js' });
    expect(readFileSync(pkg.bin['kind-action'] ?? '', 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(pkg.repository.url).toBe('git+https://github.com/kind-action/kind-action.git');
    expect(pkg.publishConfig.provenance).toBe(true);
  });

  test('npm pack: the CLI bundle and the image sources, no tests', async () => {
    const r = await exec('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
    expect(r.code, r.stderr).toBe(0);
    const [packed] = JSON.parse(r.stdout) as { name: string; files: { path: string }[] }[];
    expect(packed?.name).toBe(pkg.name);
    const files = (packed?.files ?? []).map((f) => f.path).sort();
    expect(files).toContain('dist/cli/index.js');
    expect(files).toContain('versions.json');
    expect(files).toContain('package.json');
    // The bake's build context (the CLI finds it beside dist/): every tracked file under image/
    // that is not a test.
    const tracked = (await execOk('git', ['ls-files', 'image'])).trim().split('\n');
    // (npm never ships a .gitignore.)
    const context = tracked.filter((f) => !f.endsWith('_test.go') && !f.endsWith('/.gitignore'));
    expect(context.length).toBeGreaterThan(10);
    for (const f of context) expect(files).toContain(f);
    for (const f of files) {
      expect(f).not.toMatch(/^(test|src|bench|scripts|\.github|\.ci)\//);
      expect(f).not.toMatch(/_test\.go$|\.test\.ts$/);
    }
  }, 120_000);
});
