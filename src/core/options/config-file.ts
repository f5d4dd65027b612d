import { readFileSync } from 'node:fs';
import { parse, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ConfigFileError, errorMessage } from '../errors.js';
import { argProblem, argsField, COMPONENT_NAMES, type Component } from './args.js';
import { apiKeyProblem, gateProblem } from './values.js';

/** What a cluster options file holds; every key is optional. */
export interface ConfigFile {
  featureGates: Record<string, boolean>;
  runtimeConfig: Record<string, boolean>;
  args: Partial<Record<Component, string[]>>;
}

const switches = z.record(z.string(), z.boolean());
const argList = z.array(z.string());

/**
 * The file's schema: the same names as the flags and the Action's inputs,
 * nothing else (an unknown key is refused, not ignored).
 */
const schema = z
  .strictObject({
    'feature-gates': switches.optional(),
    'runtime-config': switches.optional(),
    ...Object.fromEntries(COMPONENT_NAMES.map((c) => [argsField(c), argList.optional()])),
  })
  .superRefine((file, ctx) => {
    const problem = (path: (string | number)[], message: string | undefined): void => {
      if (message) ctx.addIssue({ code: 'custom', path, message });
    };
    for (const name of Object.keys(file['feature-gates'] ?? {})) {
      problem(['feature-gates', name], gateProblem(name));
    }
    for (const key of Object.keys(file['runtime-config'] ?? {})) {
      problem(['runtime-config', key], apiKeyProblem(key));
    }
    for (const c of COMPONENT_NAMES) {
      const list = (file as Record<string, unknown>)[argsField(c)];
      if (!Array.isArray(list)) continue;
      for (const [i, arg] of (list as string[]).entries()) problem([argsField(c), i], argProblem(arg, c));
    }
  });

const KNOWN = ['feature-gates', 'runtime-config', ...COMPONENT_NAMES.map(argsField)].join(', ');

/** `a.b[2]`, with keys that are not plain words quoted: `runtime-config["batch/v1"]`. */
export function keyPath(path: readonly PropertyKey[]): string {
  return path
    .map((seg, i) => {
      if (typeof seg === 'number') return `[${seg}]`;
      const key = String(seg);
      if (/^[A-Za-z0-9_-]+$/.test(key)) return i === 0 ? key : `.${key}`;
      return `[${JSON.stringify(key)}]`;
    })
    .join('');
}

/** Read and check a cluster options file; a ConfigFileError names the first bad key's path. */
export function readConfigFile(path: string): ConfigFile {
  let data: unknown;
  try {
    data = parse(readFileSync(path, 'utf8')) ?? {};
  } catch (err) {
    const where = err instanceof YAMLParseError ? `line ${err.linePos?.[0]?.line ?? '?'}` : '';
    throw new ConfigFileError(
      `${path}: not valid YAML${where ? ` (${where})` : ''}: ${errorMessage(err).split('\n')[0]}`,
      where,
    );
  }
  const result = schema.safeParse(data);
  if (!result.success) {
    const issues = result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({
            key: keyPath([...issue.path, key]),
            text: `unknown key (known: ${KNOWN})`,
          }))
        : [{ key: keyPath(issue.path), text: issue.message }],
    );
    const first = issues[0]?.key ?? '';
    const lines = issues.map((i) => `${i.key || '(top level)'}: ${i.text}`).join('; ');
    throw new ConfigFileError(`${path}: ${lines}`, first);
  }
  const file = result.data as Record<string, unknown>;
  const args: Partial<Record<Component, string[]>> = {};
  for (const c of COMPONENT_NAMES) {
    const list = file[argsField(c)];
    if (Array.isArray(list)) args[c] = list as string[];
  }
  return {
    featureGates: result.data['feature-gates'] ?? {},
    runtimeConfig: result.data['runtime-config'] ?? {},
    args,
  };
}
