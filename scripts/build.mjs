// Bundles each entry point into dist/ with esbuild, plus a licenses file for
// the bundled dependencies. dist/ is committed; CI fails when it is stale.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

const entries = {
  'cli/index': 'src/cli/index.ts',
  'action/main': 'src/action/main.ts',
  'action/post': 'src/action/post.ts',
  'action/wait': 'src/action/wait.ts',
};

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

const common = {
  plugins: [stubUnused],
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
  write: false,
  legalComments: 'none',
  minify: true,
  keepNames: true,
  logLevel: 'warning',
};

// The CLI is split: what only `--host-kubeconfig` needs (the Kubernetes client)
// is a chunk of its own beside dist/cli/index.js (where ../../image still finds image/), loaded by that path alone, so
// every other command starts as fast as before. The Action's entries stay whole.
const { 'cli/index': cliEntry, ...actionEntries } = entries;
const parts = await Promise.all([
  build({
    ...common,
    entryPoints: { 'cli/index': cliEntry },
    splitting: true,
    chunkNames: 'cli/[name]-[hash]',
  }),
  build({ ...common, entryPoints: actionEntries }),
]);
const result = {
  outputFiles: parts.flatMap((p) => p.outputFiles),
  metafile: { inputs: Object.assign({}, ...parts.map((p) => p.metafile.inputs)) },
};

// Replace each file atomically and drop files no entry produces any more, so a
// process running dist/ while a build happens never sees a missing file.
const produced = new Set();
for (const file of result.outputFiles) {
  const rel = relative('dist', file.path);
  produced.add(rel);
  mkdirSync(dirname(file.path), { recursive: true });
  const tmp = `${file.path}.${process.pid}.tmp`;
  writeFileSync(tmp, file.contents, { mode: 0o755 });
  renameSync(tmp, file.path);
}
produced.add('licenses.txt');
for (const entry of readdirSync('dist', { recursive: true, withFileTypes: true })) {
  const rel = relative('dist', join(entry.parentPath, entry.name));
  if (entry.isFile() && !produced.has(rel) && !rel.endsWith('.tmp')) rmSync(join('dist', rel));
}

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
writeFileSync('dist/licenses.txt.tmp', `${lines.join('\n')}\n`);
renameSync('dist/licenses.txt.tmp', 'dist/licenses.txt');
