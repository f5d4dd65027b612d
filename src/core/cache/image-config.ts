import { KindActionError } from '../errors.js';

/**
 * The part of an image's configuration a cache entry carries beside the
 * image's filesystem, and gives back to `docker import` as Dockerfile-style
 * changes. It is everything `docker run` takes from a node image.
 */
export interface ImageConfig {
  Entrypoint: string[] | null;
  Cmd: string[] | null;
  Env: string[];
  ExposedPorts: string[];
  Volumes: string[];
  Labels: Record<string, string>;
  WorkingDir: string;
  User: string;
}

/** The image uses something `docker import` cannot set again, so it is not cached. */
export class UnrepresentableConfigError extends KindActionError {}

/** What `docker image inspect` says of a configuration (the fields read here). */
export interface InspectedConfig {
  Entrypoint?: string[] | string | null | undefined;
  Cmd?: string[] | string | null | undefined;
  Env?: string[] | null | undefined;
  ExposedPorts?: Record<string, unknown> | null | undefined;
  Volumes?: Record<string, unknown> | null | undefined;
  Labels?: Record<string, string> | null | undefined;
  WorkingDir?: string | null | undefined;
  User?: string | null | undefined;
  StopSignal?: string | null | undefined;
  Healthcheck?: unknown;
  OnBuild?: unknown[] | null | undefined;
  Shell?: unknown[] | null | undefined;
}

// Docker stops a container with SIGTERM unless the image names another signal.
const DEFAULT_STOP_SIGNAL = new Set(['', 'SIGTERM', 'TERM', '15']);
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The cacheable configuration of an inspected image. Throws
 * UnrepresentableConfigError for a health check, ONBUILD, SHELL, a stop
 * signal other than SIGTERM, or a control character in an env value, label,
 * WORKDIR or USER: Docker's import cannot set those back.
 */
export function cacheableConfig(c: InspectedConfig): ImageConfig {
  const lost: string[] = [];
  if (c.Healthcheck) lost.push('HEALTHCHECK');
  if (c.OnBuild?.length) lost.push('ONBUILD');
  if (c.Shell?.length) lost.push('SHELL');
  if (!DEFAULT_STOP_SIGNAL.has(c.StopSignal ?? '')) lost.push(`STOPSIGNAL ${c.StopSignal}`);
  // Env, labels, WORKDIR and USER go through Docker's word parser, which
  // keeps "\n" as two characters: a control character would not come back.
  const words: [string, string[]][] = [
    ['ENV', c.Env ?? []],
    ['LABEL', Object.entries(c.Labels ?? {}).flat()],
    ['WORKDIR', [c.WorkingDir ?? '']],
    ['USER', [c.User ?? '']],
  ];
  for (const [what, values] of words) {
    if (values.some((v) => CONTROL.test(v))) lost.push(`${what} with a control character`);
  }
  if (lost.length) {
    throw new UnrepresentableConfigError(
      `the image sets ${lost.join(', ')}, which docker import cannot restore`,
    );
  }
  return {
    Entrypoint: argv(c.Entrypoint),
    Cmd: argv(c.Cmd),
    Env: [...(c.Env ?? [])],
    ExposedPorts: Object.keys(c.ExposedPorts ?? {}).sort(),
    Volumes: Object.keys(c.Volumes ?? {}).sort(),
    Labels: { ...(c.Labels ?? {}) },
    WorkingDir: c.WorkingDir ?? '',
    User: c.User ?? '',
  };
}

function argv(v: string[] | string | null | undefined): string[] | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? [v] : [...v];
}

/**
 * A quoted word for a change line: JSON's escapes, which Docker's parser
 * reads back, with `$` escaped so no variable is expanded.
 */
function word(s: string): string {
  return JSON.stringify(s).replaceAll('$', '\\$');
}

/** The `changes` that make `docker import` give an image this configuration. */
export function importChanges(c: ImageConfig): string[] {
  const out: string[] = [];
  if (c.Entrypoint) out.push(`ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`);
  if (c.Cmd) out.push(`CMD ${JSON.stringify(c.Cmd)}`);
  for (const kv of c.Env) {
    const eq = kv.indexOf('=');
    if (eq > 0) out.push(`ENV ${kv.slice(0, eq)}=${word(kv.slice(eq + 1))}`);
  }
  for (const port of c.ExposedPorts) out.push(`EXPOSE ${port}`);
  if (c.Volumes.length) out.push(`VOLUME ${JSON.stringify(c.Volumes)}`);
  for (const [k, v] of Object.entries(c.Labels)) out.push(`LABEL ${word(k)}=${word(v)}`);
  if (c.WorkingDir) out.push(`WORKDIR ${word(c.WorkingDir)}`);
  if (c.User) out.push(`USER ${word(c.User)}`);
  return out;
}

/** The fields that differ between two configurations (labels and env compared as sets). */
export function configDifferences(want: ImageConfig, got: ImageConfig): string[] {
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  const sorted = (r: Record<string, string>): [string, string][] =>
    Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const diffs: string[] = [];
  if (!same(want.Entrypoint, got.Entrypoint)) diffs.push('Entrypoint');
  if (!same(want.Cmd, got.Cmd)) diffs.push('Cmd');
  if (!same([...want.Env].sort(), [...got.Env].sort())) diffs.push('Env');
  if (!same(want.ExposedPorts, got.ExposedPorts)) diffs.push('ExposedPorts');
  if (!same(want.Volumes, got.Volumes)) diffs.push('Volumes');
  if (!same(sorted(want.Labels), sorted(got.Labels))) diffs.push('Labels');
  if (want.WorkingDir !== got.WorkingDir) diffs.push('WorkingDir');
  if (want.User !== got.User) diffs.push('User');
  return diffs;
}
