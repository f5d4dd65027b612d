import { existingFile } from '../files.js';
import { COMPONENT_NAMES, COMPONENTS, type Component, overrideArgs } from './args.js';
import { readConfigFile } from './config-file.js';
import { parseComponentArgs, parseFeatureGates, parseRuntimeConfig } from './values.js';

/**
 * Options for the cluster's components, applied when the node starts (no
 * bake): the bootstrap creates only GA objects, and every component's
 * command line and configuration is written again at each start.
 */
export interface ClusterOptions {
  featureGates: Record<string, boolean>;
  runtimeConfig: Record<string, boolean>;
  /** Extra arguments per component, merged (see overrideArgs). */
  args: Partial<Record<Component, string[]>>;
}

/** The options as an adapter read them: a file path and each flag's or input's values as given. */
export interface RawClusterOptions {
  config: string | undefined;
  featureGates: readonly string[];
  runtimeConfig: readonly string[];
  args: Partial<Record<Component, readonly string[]>>;
}

/**
 * Check every source and merge them: the flags (or the Action's inputs) over
 * the config file: a feature gate or API key given in both takes the flag's
 * value, and a component flag given in both takes the flag's arguments.
 */
export function clusterOptions(raw: RawClusterOptions): ClusterOptions {
  const path = existingFile(raw.config, 'config');
  const file = path ? readConfigFile(path) : { featureGates: {}, runtimeConfig: {}, args: {} };
  const args: Partial<Record<Component, string[]>> = {};
  for (const c of COMPONENT_NAMES) {
    const merged = overrideArgs(file.args[c] ?? [], parseComponentArgs(raw.args[c] ?? [], c));
    if (merged.length) args[c] = merged;
  }
  return {
    featureGates: { ...file.featureGates, ...parseFeatureGates(raw.featureGates) },
    runtimeConfig: { ...file.runtimeConfig, ...parseRuntimeConfig(raw.runtimeConfig) },
    args,
  };
}

/** The environment variable the node's agent reads its start options from. */
export const OPTIONS_ENV = 'KIND_CLUSTER_OPTIONS';

/**
 * The node's environment for these options: one JSON value, arguments keyed
 * by the node's process names; nothing when there are no options, so a plain
 * start is unchanged.
 */
export function clusterOptionsEnv(options: ClusterOptions | undefined): Record<string, string> {
  if (!options) return {};
  const args = Object.fromEntries(
    COMPONENT_NAMES.flatMap((c) => (options.args[c]?.length ? [[COMPONENTS[c], options.args[c]]] : [])),
  );
  const payload = {
    ...(Object.keys(options.featureGates).length ? { featureGates: options.featureGates } : {}),
    ...(Object.keys(options.runtimeConfig).length ? { runtimeConfig: options.runtimeConfig } : {}),
    ...(Object.keys(args).length ? { args } : {}),
  };
  return Object.keys(payload).length ? { [OPTIONS_ENV]: JSON.stringify(payload) } : {};
}
