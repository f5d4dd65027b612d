import type { Command } from 'commander';
import { argsField, COMPONENT_NAMES, COMPONENTS } from '../core/options/args.js';
import type { RawClusterOptions } from '../core/options/cluster-options.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** commander's property for a long flag: `controller-manager-args` → `controllerManagerArgs`. */
function property(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** `--config`, `--feature-gates`, `--runtime-config` and each component's `--…-args`. */
export function addClusterOptions(command: Command): Command {
  command
    .option(
      '--config <file>',
      'YAML file of cluster options (feature gates, runtime-config, component arguments)',
    )
    .option(
      '--feature-gates <gates>',
      'feature gates for every component: NAME=true|false[,…] (repeatable)',
      collect,
      [],
    )
    .option(
      '--runtime-config <apis>',
      "the API server's runtime-config: GROUP/VERSION=true|false[,…] (repeatable)",
      collect,
      [],
    );
  for (const c of COMPONENT_NAMES) {
    command.option(
      `--${argsField(c)} <args>`,
      `extra ${COMPONENTS[c]} arguments, --name=value separated by spaces (repeatable)`,
      collect,
      [],
    );
  }
  return command;
}

/** The cluster options out of commander's parsed values. */
export function rawClusterOptions(opts: Record<string, unknown>): RawClusterOptions {
  const list = (flag: string): string[] => (opts[property(flag)] as string[] | undefined) ?? [];
  return {
    config: opts.config as string | undefined,
    featureGates: list('feature-gates'),
    runtimeConfig: list('runtime-config'),
    args: Object.fromEntries(COMPONENT_NAMES.map((c) => [c, list(argsField(c))])),
  };
}
