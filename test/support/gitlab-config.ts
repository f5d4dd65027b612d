import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/**
 * Just enough of GitLab's pipeline processing to run our files the way a
 * runner would see them: `include: local:`, component `spec: inputs:` with
 * `$[[ inputs.x ]]` interpolation, `extends:` (deep merge, arrays replaced)
 * and nested script arrays flattened.
 */

export interface ServiceSpec {
  name: string;
  alias: string;
  variables: Record<string, string>;
}

export interface ResolvedJob {
  /** The job's image: the job image for `.kind`, whatever the user's job says otherwise. */
  image: string | undefined;
  services: ServiceSpec[];
  variables: Record<string, string>;
  beforeScript: string[];
  script: string[];
}

type Config = Record<string, unknown>;

const isObject = (v: unknown): v is Config => typeof v === 'object' && v !== null && !Array.isArray(v);

interface InputSpec {
  default?: unknown;
  regex?: string;
}

/** A component file: the spec header, then the body with its inputs interpolated. */
export function loadComponent(path: string, inputs: Record<string, string> = {}): Config {
  const docs = parseAllDocuments(readFileSync(resolve(path), 'utf8'));
  const [header, body] = docs;
  if (!header || !body || docs.length !== 2) throw new Error(`${path}: expected a spec document and a body`);
  const spec = header.toJS() as { spec?: { inputs?: Record<string, InputSpec | null> } };
  const declared = spec.spec?.inputs ?? {};
  for (const name of Object.keys(inputs)) {
    if (!(name in declared)) throw new Error(`${path}: unknown input "${name}"`);
  }
  const values: Record<string, string> = {};
  for (const [name, decl] of Object.entries(declared)) {
    const value = inputs[name] ?? (decl?.default === undefined ? undefined : String(decl.default));
    if (value === undefined) throw new Error(`${path}: input "${name}" is required`);
    if (decl?.regex && !new RegExp(decl.regex).test(value)) {
      throw new Error(`${path}: input "${name}" = "${value}" does not match ${decl.regex}`);
    }
    values[name] = value;
  }
  const text = String(body).replace(/\$\[\[\s*inputs\.([\w-]+)\s*\]\]/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`${path}: body uses undeclared input "${name}"`);
    return value;
  });
  return parse(text) as Config;
}

/** A pipeline file with its `include: local:` files merged underneath it. */
export function loadPipeline(path: string): Config {
  const config = parse(readFileSync(resolve(path), 'utf8')) as Config;
  const includes = config.include === undefined ? [] : [config.include].flat();
  let merged: Config = {};
  for (const inc of includes) {
    if (!isObject(inc) || typeof inc.local !== 'string')
      throw new Error(`unsupported include: ${JSON.stringify(inc)}`);
    merged = { ...merged, ...loadPipeline(inc.local.replace(/^\//, '')) };
  }
  const { include: _, ...own } = config;
  return { ...merged, ...own };
}

function deepMerge(base: Config, over: Config): Config {
  const out: Config = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function expandExtends(config: Config, name: string, seen: string[] = []): Config {
  const job = config[name];
  if (!isObject(job)) throw new Error(`no job "${name}"`);
  if (seen.includes(name)) throw new Error(`extends loop: ${[...seen, name].join(' → ')}`);
  const parents = job.extends === undefined ? [] : [job.extends].flat();
  let base: Config = {};
  for (const parent of parents)
    base = deepMerge(base, expandExtends(config, String(parent), [...seen, name]));
  const { extends: _, ...own } = job;
  return deepMerge(base, own);
}

const flatten = (v: unknown): string[] => (v === undefined ? [] : [v].flat(10).map(String));

const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(isObject(v) ? v : {}).map(([k, x]) => [k, String(x ?? '')]));

export function resolveJob(config: Config, name: string): ResolvedJob {
  const job = expandExtends(config, name);
  const services = (Array.isArray(job.services) ? job.services : []).map((s): ServiceSpec => {
    const entry = isObject(s) ? s : { name: String(s) };
    const image = String(entry.name);
    const fallbackAlias = image.replace(/:.*$/, '').replaceAll('/', '__');
    return {
      name: image,
      alias: String(entry.alias ?? fallbackAlias),
      variables: stringMap(entry.variables),
    };
  });
  return {
    image: job.image === undefined ? undefined : String(isObject(job.image) ? job.image.name : job.image),
    services,
    variables: stringMap(job.variables),
    beforeScript: flatten(job.before_script),
    script: flatten(job.script),
  };
}
