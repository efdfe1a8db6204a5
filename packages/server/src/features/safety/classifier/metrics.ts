import type { SafetyLabel, SafetyScores } from '@parley/protocol';
import { LABELS } from './model';

export interface LabelMetrics {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** tp / (tp + fp); 0 when nothing was predicted. */
  precision: number;
  /** tp / (tp + fn); 0 when the label never occurs. */
  recall: number;
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number;
}

export interface Evaluation {
  threshold: number;
  labels: Record<SafetyLabel, LabelMetrics>;
  /** Over every label's decisions pooled together. */
  micro: LabelMetrics;
  /** Messages with no label that got at least one score at or above the threshold. */
  benignFlagged: number;
  benignTotal: number;
}

function metrics(tp: number, fp: number, fn: number, tn: number): LabelMetrics {
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, tn, precision, recall, f1 };
}

/** Precision, recall and F1 per label when a score at or above `threshold` counts as that label. */
export function evaluate(cases: { labels: readonly SafetyLabel[]; scores: SafetyScores }[], threshold: number): Evaluation {
  const counts = LABELS.map(() => ({ tp: 0, fp: 0, fn: 0, tn: 0 }));
  let benignFlagged = 0;
  let benignTotal = 0;
  for (const { labels, scores } of cases) {
    let any = false;
    LABELS.forEach((label, l) => {
      const predicted = scores[label] >= threshold;
      const actual = labels.includes(label);
      any ||= predicted;
      const c = counts[l]!;
      if (predicted && actual) c.tp++;
      else if (predicted) c.fp++;
      else if (actual) c.fn++;
      else c.tn++;
    });
    if (labels.length === 0) {
      benignTotal++;
      if (any) benignFlagged++;
    }
  }
  const sum = (key: 'tp' | 'fp' | 'fn' | 'tn') => counts.reduce((n, c) => n + c[key], 0);
  return {
    threshold,
    labels: Object.fromEntries(LABELS.map((label, l) => [label, metrics(counts[l]!.tp, counts[l]!.fp, counts[l]!.fn, counts[l]!.tn)])) as Record<SafetyLabel, LabelMetrics>,
    micro: metrics(sum('tp'), sum('fp'), sum('fn'), sum('tn')),
    benignFlagged,
    benignTotal,
  };
}

/** The evaluation as a fixed-width table, as `npm run safety:eval` prints it. */
export function formatEvaluation(evaluation: Evaluation): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}`.padStart(6);
  const lines = [`threshold ${evaluation.threshold}`, `${'label'.padEnd(18)} precision  recall      F1     tp    fp    fn`];
  const row = (name: string, m: LabelMetrics) =>
    `${name.padEnd(18)} ${pct(m.precision)}%  ${pct(m.recall)}%  ${pct(m.f1)}%  ${String(m.tp).padStart(5)} ${String(m.fp).padStart(5)} ${String(m.fn).padStart(5)}`;
  for (const label of LABELS) lines.push(row(label, evaluation.labels[label]));
  lines.push(row('micro (all)', evaluation.micro));
  lines.push(`benign messages flagged: ${evaluation.benignFlagged} / ${evaluation.benignTotal} (${((evaluation.benignFlagged / Math.max(1, evaluation.benignTotal)) * 100).toFixed(1)}%)`);
  return lines.join('\n');
}
