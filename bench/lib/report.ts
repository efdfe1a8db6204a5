import fs from 'node:fs';
import path from 'node:path';
import type { MachineInfo } from './system';

export const RESULTS_DIR = path.resolve(import.meta.dirname, '../results');

/** A target from the issue, and whether this run met it. */
export interface TargetCheck {
  name: string;
  /** Human-readable threshold, e.g. "< 50 ms". */
  threshold: string;
  value: number | null;
  unit: string;
  pass: boolean | null;
}

/** What every scenario writes to bench/results (the format is described in results/README.md). */
export interface ScenarioReport {
  scenario: string;
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  server: { engine: string; nodes: number; redis: boolean; target: string };
  params: Record<string, unknown>;
  results: Record<string, unknown>;
  targets: TargetCheck[];
  notes: string[];
}

export function target(name: string, threshold: string, value: number | null, unit: string, passes: (v: number) => boolean): TargetCheck {
  return { name, threshold, value, unit, pass: value === null || Number.isNaN(value) ? null : passes(value) };
}

/** Prints rows as an aligned text table (column order from the first row). */
export function printTable(title: string, rows: readonly Record<string, unknown>[]): void {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((row) => columns.map((c) => format(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells) console.log(line(r));
}

export function printTargets(targets: readonly TargetCheck[]): void {
  if (targets.length === 0) return;
  console.log('\nTargets');
  for (const t of targets) {
    const verdict = t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'FAIL';
    console.log(`  [${verdict}] ${t.name}: ${t.value === null ? '-' : format(t.value)} ${t.unit} (target ${t.threshold})`);
  }
}

function format(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return '-';
    if (Number.isInteger(value)) return value.toLocaleString('en-US');
    return value.toLocaleString('en-US', { maximumFractionDigits: Math.abs(value) < 10 ? 3 : 1 });
  }
  if (value === null || value === undefined) return '-';
  return String(value);
}

/**
 * Writes the report as `latest-<scenario>-<engine>.json` (small, committed) and a timestamped
 * copy under results/runs/ (ignored by git). Returns the latest file's path.
 */
export function writeReport(report: ScenarioReport): string {
  const runs = path.join(RESULTS_DIR, 'runs');
  fs.mkdirSync(runs, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const stamp = report.startedAt.replace(/[:.]/g, '-');
  fs.writeFileSync(path.join(runs, `${report.scenario}-${report.server.engine}-${stamp}.json`), json);
  const latest = path.join(RESULTS_DIR, `latest-${report.scenario}-${report.server.engine}.json`);
  fs.writeFileSync(latest, json);
  return latest;
}
