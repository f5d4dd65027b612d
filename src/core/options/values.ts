import { UsageError } from '../errors.js';
import { truncate } from '../names.js';
import { argProblem, argsField, type Component } from './args.js';

/** A feature gate's name, as Kubernetes spells them (CamelCase). */
export const GATE_NAME = /^[A-Za-z][A-Za-z0-9]{0,127}$/;

/** A runtime-config key: api/all, api/alpha, v1, group/version or group/version/resource. */
export const API_KEY = /^[a-z0-9][a-z0-9.-]{0,252}(\/[a-z0-9][a-z0-9.-]{0,62}){0,2}$/;

export function gateProblem(name: string): string | undefined {
  return GATE_NAME.test(name)
    ? undefined
    : `"${truncate(name)}" is not a feature gate name (e.g. InPlacePodVerticalScaling)`;
}

export function apiKeyProblem(key: string): string | undefined {
  return API_KEY.test(key)
    ? undefined
    : `"${truncate(key)}" is not an API (e.g. api/alpha, resource.k8s.io/v1beta1)`;
}

/** Entries of a flag's or input's value: split on commas, spaces and newlines. */
function entries(value: string, field: string, expected: string): string[] {
  const list = value.split(/[\s,]+/).filter(Boolean);
  if (list.length === 0)
    throw new UsageError(`"${truncate(value)}" is empty (expected ${expected})`, { field });
  return list;
}

/**
 * `NAME=true|false` entries (several per value) into a map; a later entry
 * for the same key wins. `check` says what is wrong with a key.
 */
function switches(
  values: readonly string[],
  field: string,
  expected: string,
  check: (key: string) => string | undefined,
): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const value of values) {
    for (const entry of entries(value, field, expected)) {
      const m = /^([^=]+)=(true|false)$/i.exec(entry);
      if (!m?.[1] || !m[2]) {
        throw new UsageError(`"${truncate(entry)}" is not ${expected}`, { field });
      }
      const problem = check(m[1]);
      if (problem) throw new UsageError(problem, { field });
      out[m[1]] = m[2].toLowerCase() === 'true';
    }
  }
  return out;
}

/** `--feature-gates A=true,B=false` (repeatable). */
export function parseFeatureGates(values: readonly string[]): Record<string, boolean> {
  return switches(values, 'feature-gates', 'NAME=true|false[,…]', gateProblem);
}

/** `--runtime-config api/alpha=true,batch/v1=false` (repeatable). */
export function parseRuntimeConfig(values: readonly string[]): Record<string, boolean> {
  return switches(values, 'runtime-config', 'GROUP/VERSION=true|false[,…]', apiKeyProblem);
}

/**
 * `--apiserver-args "--v=2 --event-ttl=5m"` (repeatable): arguments split on
 * spaces and newlines, each `--name=value` or `--name`. A value that holds a
 * space can be given in the config file, where each list item is one argument.
 */
export function parseComponentArgs(values: readonly string[], component: Component): string[] {
  const field = argsField(component);
  const out: string[] = [];
  for (const value of values) {
    const list = value.split(/\s+/).filter(Boolean);
    if (list.length === 0)
      throw new UsageError(`"${truncate(value)}" is empty (expected --name=value …)`, { field });
    for (const arg of list) {
      const problem = argProblem(arg, component);
      if (problem) throw new UsageError(problem, { field });
      out.push(arg);
    }
  }
  return out;
}
