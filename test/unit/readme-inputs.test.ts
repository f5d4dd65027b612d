import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { actionInputs, isRunnerInput } from '../support/sources-of-truth.js';

const README = readFileSync('README.md', 'utf8');

/**
 * The first column of the first table after `heading` in the README: the `name`s in each cell (a
 * cell may list several inputs that share a description), unquoted; a cell with none stays as it is.
 */
function tableNames(heading: string): string[] {
  const at = README.indexOf(`\n${heading}\n`);
  expect(at, `README has no "${heading}"`).toBeGreaterThan(0);
  const lines = README.slice(at).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows = lines.slice(start + 2);
  const end = rows.findIndex((l) => !l.startsWith('|'));
  return rows.slice(0, end).flatMap((row) => {
    const cell = row.split('|')[1] ?? row;
    const names = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
    return names.length > 0 ? names : [row];
  });
}

describe("the README's input tables list exactly the inputs of each action.yml", () => {
  test.each([
    ['action.yml', '### Inputs'],
    ['wait/action.yml', '### Start early, wait late'],
  ])('%s ↔ README %s', (file, heading) => {
    const declared = actionInputs(file)
      .filter((input) => !isRunnerInput(input))
      .map((input) => input.name);
    expect(declared.length).toBeGreaterThan(0);
    expect(tableNames(heading).sort()).toEqual(declared.sort());
  });
});
