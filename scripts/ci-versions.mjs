// The workflows' one reader of versions.json (plain Node, no dependencies, so a
// job can run it right after checkout):
//
//   node scripts/ci-versions.mjs outputs [--release] key=value lines for $GITHUB_OUTPUT:
//                                                     minors, architectures (JSON arrays),
//                                                     default, and (--release: required)
//                                                     repository, registry, job-repository
//   node scripts/ci-versions.mjs set-digest MINOR DIGEST
//                                                     write a published index's digest into
//                                                     the table (the release's write-back)
//   node scripts/ci-versions.mjs set-job-digest TAG DIGEST
//                                                     write the job image index's digest and
//                                                     the tag it was published under
//
// NODE_REPOSITORY (a mirror, or a local registry under test) overrides the
// table's repository, and moves the job image beside it (same path, the table's
// jobRepository name) unless JOB_REPOSITORY names the job image's repository; it
// must be in the node repository's registry, which the release logs in to once. Matrices are built from these outputs at run time, so no
// workflow lists a version by hand.
import { readFileSync, writeFileSync } from 'node:fs';

const TABLE = new URL('../versions.json', import.meta.url);
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const TAG = /^v\d+\.\d+\.\d+$/;
const REPOSITORY = /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)+$/;

function fail(message) {
  process.stderr.write(`ci-versions: ${message}\n`);
  process.exit(2);
}

function readTable() {
  return JSON.parse(readFileSync(TABLE, 'utf8'));
}

function outputs(env, release) {
  const table = readTable();
  const lines = {
    minors: JSON.stringify(Object.keys(table.kubernetes)),
    architectures: JSON.stringify(table.architectures),
    default: table.defaultMinor,
  };
  const repository = env.NODE_REPOSITORY || table.repository;
  if (release && !repository) fail('no repository: set NODE_REPOSITORY or "repository" in versions.json');
  if (repository) {
    if (!REPOSITORY.test(repository)) fail(`NODE_REPOSITORY: "${repository}" is not REGISTRY/NAME`);
    lines.repository = repository;
    lines.registry = repository.slice(0, repository.indexOf('/'));
    // Beside the node repository: a NODE_REPOSITORY mirror takes the job image too.
    const jobName = (table.jobRepository ?? '').slice((table.jobRepository ?? '').lastIndexOf('/') + 1);
    const beside =
      env.NODE_REPOSITORY && jobName ? `${repository.slice(0, repository.lastIndexOf('/'))}/${jobName}` : '';
    const job = env.JOB_REPOSITORY || beside || table.jobRepository;
    if (release && !job) fail('no job repository: set JOB_REPOSITORY or "jobRepository" in versions.json');
    if (job) {
      if (!REPOSITORY.test(job)) fail(`JOB_REPOSITORY: "${job}" is not REGISTRY/NAME`);
      if (job.slice(0, job.indexOf('/')) !== lines.registry) {
        fail(`JOB_REPOSITORY: "${job}" is not in the node repository's registry ${lines.registry}`);
      }
      lines['job-repository'] = job;
    }
  }
  return Object.entries(lines)
    .map(([key, value]) => `${key}=${value}\n`)
    .join('');
}

/** Rewrite only the `"digest": …` line inside the minor's entry, keeping the file's layout. */
function setDigest(minor, digest) {
  if (!DIGEST.test(digest ?? '')) fail(`digest: "${digest}" is not sha256:<64 hex>`);
  const table = readTable();
  if (!table.kubernetes[minor]) fail(`minor: "${minor}" is not in versions.json`);
  const text = readFileSync(TABLE, 'utf8');
  const start = text.indexOf(`"${minor}": {`);
  const end = text.indexOf('}', start);
  const entry = text.slice(start, end);
  const line = /"digest": (null|"sha256:[0-9a-f]{64}")/;
  if (!line.test(entry)) fail(`versions.json: the ${minor} entry has no "digest" field`);
  writeFileSync(TABLE, text.slice(0, start) + entry.replace(line, `"digest": "${digest}"`) + text.slice(end));
}

/** Rewrite only the top-level `"jobDigest"` and `"jobDigestTag"` lines, keeping the file's layout. */
function setJobDigest(tag, digest) {
  if (!TAG.test(tag ?? '')) fail(`tag: "${tag}" is not v<major>.<minor>.<patch>`);
  if (!DIGEST.test(digest ?? '')) fail(`digest: "${digest}" is not sha256:<64 hex>`);
  let text = readFileSync(TABLE, 'utf8');
  for (const [field, value] of [
    ['jobDigest', digest],
    ['jobDigestTag', tag],
  ]) {
    const line = new RegExp(`^( {2}"${field}": )(null|"[^"]*")(,?)$`, 'm');
    if (!line.test(text)) fail(`versions.json: no top-level "${field}" field`);
    text = text.replace(line, `$1"${value}"$3`);
  }
  writeFileSync(TABLE, text);
}

const [command, ...args] = process.argv.slice(2);
if (command === 'outputs') process.stdout.write(outputs(process.env, args[0] === '--release'));
else if (command === 'set-digest') setDigest(args[0], args[1]);
else if (command === 'set-job-digest') setJobDigest(args[0], args[1]);
else
  fail(
    `unknown command "${command ?? ''}" (outputs [--release], set-digest MINOR DIGEST, set-job-digest TAG DIGEST)`,
  );
