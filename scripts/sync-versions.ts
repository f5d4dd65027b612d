// Writes the copies of the version table (versions.json) that live in files
// which cannot read it at run time: action.yml's default, the GitLab template
// and component, circleci/kind.sh, the Kubernetes manifests' node images and
// the README's table. `--check` changes
// nothing and exits 1 when a copy disagrees (test/unit/versions-table.test.ts
// runs the same check).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADDON_VERSIONS,
  DEFAULT_KUBERNETES,
  JOB_PUBLISHED,
  JOB_REPOSITORY,
  KUBERNETES_RELEASES,
  KUBERNETES_VERSIONS,
  NODE_REPOSITORY,
  type PublishedJobImage,
  RUNTIME_VERSIONS,
} from '../src/core/image/versions.js';
import { jobImageTag } from '../src/core/job/names.js';

export interface Copy {
  file: string;
  /** The file's text with every copy of a version rewritten from the table. */
  render(text: string): string;
}

const defaultVersion = KUBERNETES_VERSIONS[DEFAULT_KUBERNETES] ?? '';
const defaultDigest = KUBERNETES_RELEASES.find((r) => r.version === defaultVersion)?.digest;
/**
 * The job image the GitLab files run their jobs in: the table's job
 * repository and the CLI's tag, pinned by its index digest when the table
 * holds the digest published under that tag (a digest of an earlier CLI's
 * tag is not this CLI's image: the tag alone then, until the release writes
 * the new one back).
 */
export function jobImageReference(published: PublishedJobImage | undefined): string {
  const tag = jobImageTag();
  return `${JOB_REPOSITORY}:${tag}${published?.tag === tag ? `@${published.digest}` : ''}`;
}

/** The default node image as a file outside the CLI names it: the table's repository and patch, by digest once published. */
export const DEFAULT_NODE_IMAGE = `${NODE_REPOSITORY}:v${defaultVersion}${defaultDigest ? `@${defaultDigest}` : ''}`;

/** The marker after each node image reference in deploy/kubernetes/ (one per file). */
export const MANIFEST_IMAGE_MARKER = '# node image (npm run sync-versions)';

/** The manifests of deploy/kubernetes/ that name the node image. */
export const KUBERNETES_MANIFESTS = [
  'deploy/kubernetes/gitlab-kubernetes-executor.yaml',
  'deploy/kubernetes/arc-runner-scale-set.values.yaml',
  'deploy/kubernetes/tekton-task.yaml',
];

/** Replace what `pattern` matches (exactly once) by `replacement`. */
function once(text: string, file: string, pattern: RegExp, replacement: string): string {
  const hits = text.match(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`))?.length ?? 0;
  if (hits !== 1) throw new Error(`${file}: expected one match of ${pattern}, found ${hits}`);
  return text.replace(pattern, replacement);
}

/** Replace the lines between `begin` and `end` marker lines. */
function region(text: string, file: string, begin: string, end: string, body: string): string {
  const start = text.indexOf(begin);
  const stop = text.indexOf(end);
  if (start < 0 || stop < start) throw new Error(`${file}: markers ${begin} … ${end} not found`);
  const from = text.indexOf('\n', start) + 1;
  const to = text.lastIndexOf('\n', stop) + 1;
  return text.slice(0, from) + body + text.slice(to);
}

function circleCases(): string {
  const lines = KUBERNETES_RELEASES.map((r) => `    ${r.minor} | ${r.version}) echo ${r.version} ;;\n`);
  const accepted = KUBERNETES_RELEASES.flatMap((r) => [r.minor, r.version]).join(', ');
  return `${lines.join('')}    *) die "KIND_K8S_VERSION=\\"$KIND_K8S_VERSION\\" is not supported (${accepted})" ;;\n`;
}

function circleImage(): string {
  const cases = KUBERNETES_RELEASES.filter((r) => r.digest).map(
    (r) => `    ${r.version}) echo ${r.digest} ;;\n`,
  );
  return (
    `readonly KIND_NODE_REPOSITORY=${NODE_REPOSITORY}\n` +
    'published_digest() { # VERSION\n  case "$1" in\n' +
    cases.join('') +
    '    *) echo "" ;;\n  esac\n}\n'
  );
}

function readmeTable(): string {
  const rows = KUBERNETES_RELEASES.map(
    (r) =>
      `| ${r.minor} | ${r.version}${r.minor === DEFAULT_KUBERNETES ? ' (default)' : ''} | ${r.released} | ${r.endOfLife} | ${r.etcd} | ${r.coredns} | ${r.cniPlugins} | ${r.pause} |\n`,
  );
  const rt = RUNTIME_VERSIONS;
  return (
    '| minor | pinned patch | released | end of life | etcd | CoreDNS | CNI plugins | pause |\n' +
    '|---|---|---|---|---|---|---|---|\n' +
    rows.join('') +
    `\nEvery image runs containerd ${rt.containerd}, runc ${rt.runc} and Docker Engine ${rt.docker}, ` +
    `rancher/local-path-provisioner ${ADDON_VERSIONS.localPathProvisioner} (the default StorageClass \`standard\`) ` +
    `and kube-router ${ADDON_VERSIONS.kubeRouter} (its NetworkPolicy controller).\n`
  );
}

/** The GitLab template's and component's copies, naming `jobImage` as the job image. */
export function gitlabCopies(jobImage: string): Copy[] {
  return [
    {
      file: 'gitlab/kind.gitlab-ci.yml',
      render: (t) => {
        const file = 'gitlab/kind.gitlab-ci.yml';
        const node = once(
          t,
          file,
          /(services:\n {4}- name: )\S+:v[0-9.]+(?:@sha256:[a-f0-9]{64})?/,
          `$1${DEFAULT_NODE_IMAGE}`,
        );
        return once(node, file, /(\n\.kind:\n {2}image: )\S+/, `$1${jobImage}`);
      },
    },
    {
      file: 'gitlab/templates/kind.yml',
      render: (t) => {
        const file = 'gitlab/templates/kind.yml';
        const example = once(t, file, /(#\s+k8s-version: )[0-9.]+/, `$1${defaultVersion}`);
        const version = once(
          example,
          file,
          /(k8s-version:\n(?: {6}.*\n)*? {6}default: )[0-9.]+/,
          `$1${defaultVersion}`,
        );
        const node = once(
          version,
          file,
          /( {4}image:\n(?: {6}.*\n)*? {6}default: )\S+/,
          `$1${NODE_REPOSITORY}`,
        );
        return once(node, file, /( {4}job-image:\n(?: {6}.*\n)*? {6}default: )\S+/, `$1${jobImage}`);
      },
    },
  ];
}

export const COPIES: readonly Copy[] = [
  {
    file: 'action.yml',
    render: (t) =>
      once(
        t,
        'action.yml',
        /( {2}k8s-version:\n {4}description: Kubernetes version, minor \()[^)]*\) or full \([^)]*\)\.\n {4}default: '[^']*'/,
        `$1${DEFAULT_KUBERNETES}) or full (${defaultVersion}).\n    default: '${DEFAULT_KUBERNETES}'`,
      ),
  },
  ...gitlabCopies(jobImageReference(JOB_PUBLISHED)),
  {
    file: 'circleci/kind.sh',
    render: (t) => {
      const file = 'circleci/kind.sh';
      const head = once(
        t,
        file,
        /(#\s+KIND_K8S_VERSION\s+Kubernetes version, )\S+ or \S+ \(default [^)]*\)/,
        `$1${DEFAULT_KUBERNETES} or ${defaultVersion} (default ${DEFAULT_KUBERNETES})`,
      );
      const dflt = once(head, file, /(local v="\$\{KIND_K8S_VERSION:-)[0-9.]+/, `$1${DEFAULT_KUBERNETES}`);
      const cases = region(dflt, file, '# versions: begin', '# versions: end', circleCases());
      return region(cases, file, '# image: begin', '# image: end', circleImage());
    },
  },
  ...KUBERNETES_MANIFESTS.map(
    (file): Copy => ({
      file,
      render: (t) =>
        once(
          t,
          file,
          new RegExp(`(image: )\\S+( ${MANIFEST_IMAGE_MARKER.replace(/[()]/g, '\\$&')})`),
          `$1${DEFAULT_NODE_IMAGE}$2`,
        ),
    }),
  ),
  {
    file: 'README.md',
    render: (t) => region(t, 'README.md', '<!-- versions: begin', '<!-- versions: end', readmeTable()),
  },
];

/** The files whose copy disagrees with the table. */
export function staleCopies(root: string): string[] {
  return COPIES.filter((c) => {
    const text = readFileSync(join(root, c.file), 'utf8');
    return c.render(text) !== text;
  }).map((c) => c.file);
}

function main(): void {
  const root = join(import.meta.dirname, '..');
  if (process.argv.includes('--check')) {
    const stale = staleCopies(root);
    if (stale.length) {
      process.stderr.write(`stale version copies (run npm run sync-versions): ${stale.join(', ')}\n`);
      process.exit(1);
    }
    return;
  }
  for (const c of COPIES) {
    const path = join(root, c.file);
    const text = readFileSync(path, 'utf8');
    const next = c.render(text);
    if (next !== text) {
      writeFileSync(path, next);
      process.stdout.write(`updated ${c.file}\n`);
    }
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) main();
