import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { buildProgram } from '../../src/cli/program.js';
import { argsField, COMPONENT_NAMES } from '../../src/core/options/args.js';

export interface ActionInput {
  name: string;
  default: string;
}

/** The inputs an action.yml declares (the main action's, or a sub-action's), with their defaults, in file order. */
export function actionInputs(file = 'action.yml'): ActionInput[] {
  const yml = parse(readFileSync(file, 'utf8')) as { inputs: Record<string, { default?: unknown }> };
  return Object.entries(yml.inputs).map(([name, spec]) => ({ name, default: String(spec.default ?? '') }));
}

/** Inputs the runner fills itself (a `${{ … }}` default), never a user's value. */
export function isRunnerInput(input: ActionInput): boolean {
  return input.default.startsWith('${{');
}

export interface CliOption {
  command: string;
  /** The long flag, e.g. --timeout. */
  flag: string;
}

/** Every option of every command of the CLI that takes a value, from the commander program. */
export function cliValueOptions(): CliOption[] {
  const program = buildProgram(() => {
    throw new Error('the program is only read here, never run');
  });
  return program.commands.flatMap((cmd) =>
    cmd.options
      .filter((o) => (o.required || o.optional) && o.long !== undefined)
      .map((o) => ({ command: cmd.name(), flag: o.long ?? '' })),
  );
}

/** The cluster options every adapter takes, one name each (flag, Action input, config file key), from the core. */
export function clusterOptionFields(): string[] {
  return ['config', 'feature-gates', 'runtime-config', ...COMPONENT_NAMES.map(argsField)];
}
