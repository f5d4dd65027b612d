import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Stats {
  runs: number;
  min: number;
  median: number;
  max: number;
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return { runs: sorted.length, min: sorted[0] ?? 0, median, max: sorted[sorted.length - 1] ?? 0 };
}

/** Print an aligned table to stdout. */
export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

export function statRow(label: string, s: Stats, unit = 's', digits = 3): string[] {
  const f = (n: number): string => `${n.toFixed(digits)}${unit}`;
  return [label, String(s.runs), f(s.min), f(s.median), f(s.max)];
}

/** Print the JSON result and keep a copy in .bench-out/. */
export function writeJson(name: string, data: unknown): void {
  const text = JSON.stringify(data, null, 2);
  mkdirSync('.bench-out', { recursive: true });
  writeFileSync(join('.bench-out', `${name}.json`), `${text}\n`);
  process.stdout.write(`\nJSON (.bench-out/${name}.json):\n${text}\n`);
}

export async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}
