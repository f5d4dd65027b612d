// Bundles each entry point into dist/ with esbuild, plus a licenses file for
// the bundled dependencies. dist/ is committed; CI fails when it is stale.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const entries = {
  'cli/index': 'src/cli/index.ts',
};

rmSync('dist', { recursive: true, force: true });
/** Replace dependencies we never call (see scripts/stubs/unsupported.cjs). */
const stubUnused = {
  name: 'stub-unused',
  setup(b) {
    const stub = { path: new URL('./stubs/unsupported.cjs', import.meta.url).pathname };
    b.onResolve({ filter: /^ssh2$/ }, () => stub);
    b.onResolve({ filter: /^\.\/session$/ }, (args) =>
      args.importer.includes('dockerode') ? stub : undefined,
    );
  },
};

const result = await build({
  plugins: [stubUnused],
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // ssh2 (dockerode's ssh transport) loads these optional native modules in try/catch.
  external: ['cpu-features', '*.node'],
  banner: {
    // Bundled CommonJS dependencies expect require, __filename and __dirname.
    js: [
      "import { createRequire as __kaRequire } from 'node:module';",
      "import { fileURLToPath as __kaPath } from 'node:url';",
      "import { dirname as __kaDir } from 'node:path';",
      'const require = __kaRequire(import.meta.url);',
      'const __filename = __kaPath(import.meta.url);',
      'const __dirname = __kaDir(__filename);',
    ].join(' '),
  },
  metafile: true,
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
});

const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) packages.add(m[1]);
}
const lines = [];
for (const name of [...packages].sort()) {
  const pkg = JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8'));
  lines.push(`${name}@${pkg.version}: ${typeof pkg.license === 'string' ? pkg.license : 'see package'}`);
}
writeFileSync('dist/licenses.txt', `${lines.join('\n')}\n`);
