// Writes the POSIX sh wait (gitlab/kind-wait.sh, the one source) into the
// `.kind-wait` job of the GitLab template and component, which GitLab reads as
// single files. `--check` changes nothing and exits 1 when a copy is stale
// (test/unit/ci-templates.test.ts runs the same check).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SH_SOURCE = 'gitlab/kind-wait.sh';
export const SH_COPIES = ['gitlab/kind.gitlab-ci.yml', 'gitlab/templates/kind.yml'] as const;

export const BEGIN = '# kind-wait.sh: begin';
export const END = '# kind-wait.sh: end';

/** The script below the source's header (its first lines, up to the first blank line). */
export function shBody(source: string): string {
  const split = source.indexOf('\n\n');
  if (!source.startsWith('#!') || split < 0)
    throw new Error(`${SH_SOURCE}: no header ending in a blank line`);
  return source.slice(split + 2).replace(/\n+$/, '\n');
}

/** The `.kind-wait` job holding `body` as one block scalar (blank lines stay blank). */
export function waitJob(body: string): string {
  const lines = body
    .replace(/\n$/, '')
    .split('\n')
    .map((line) => (line === '' ? '' : `      ${line}`));
  return ['.kind-wait:', '  script: &kind-wait', '    - |', ...lines, ''].join('\n');
}

/** `text` with the lines between the markers replaced by the job made from `source`. */
export function renderCopy(text: string, source: string, file: string): string {
  const start = text.indexOf(BEGIN);
  const stop = text.indexOf(END);
  if (start < 0 || stop < start) throw new Error(`${file}: markers ${BEGIN} … ${END} not found`);
  const from = text.indexOf('\n', start) + 1;
  const to = text.lastIndexOf('\n', stop) + 1;
  return text.slice(0, from) + waitJob(shBody(source)) + text.slice(to);
}

/** The copies that differ from what the source makes. */
export function staleShCopies(root: string): string[] {
  const source = readFileSync(join(root, SH_SOURCE), 'utf8');
  return SH_COPIES.filter((file) => {
    const text = readFileSync(join(root, file), 'utf8');
    return renderCopy(text, source, file) !== text;
  });
}

function main(): void {
  const root = join(import.meta.dirname, '..');
  if (process.argv.includes('--check')) {
    const stale = staleShCopies(root);
    if (stale.length) {
      process.stderr.write(`stale copies of ${SH_SOURCE} (run npm run sync-gitlab): ${stale.join(', ')}\n`);
      process.exit(1);
    }
    return;
  }
  const source = readFileSync(join(root, SH_SOURCE), 'utf8');
  for (const file of SH_COPIES) {
    const path = join(root, file);
    const text = readFileSync(path, 'utf8');
    const next = renderCopy(text, source, file);
    if (next !== text) {
      writeFileSync(path, next);
      process.stdout.write(`updated ${file}\n`);
    }
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main();
