import type { SafetyLabel } from '@parley/protocol';
import { featurize, type FeatureVector } from './features';
import { LABELS, type LinearModel, logit } from './model';

/** One labelled message. `group` names the template or source it came from (for calibration folds). */
export interface Example {
  text: string;
  labels: SafetyLabel[];
  group?: string;
}

export interface TrainOptions {
  /** Hash buckets: 2^bits per label. */
  bits: number;
  epochs: number;
  learningRate: number;
  /** L2 penalty on the weights an example touches. */
  l2: number;
  seed: number;
  /** Folds (by group) whose out-of-fold predictions fit the calibration; 0 or 1: none (a=1, b=0). */
  calibrationFolds: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = { bits: 17, epochs: 10, learningRate: 0.5, l2: 1e-3, seed: 12, calibrationFolds: 4 };

/** mulberry32: a small seeded generator, so training is the same on every run and machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Row {
  features: FeatureVector;
  targets: Uint8Array;
}

function rowsOf(examples: Example[], bits: number): Row[] {
  return examples.map((e) => ({ features: featurize(e.text, bits), targets: Uint8Array.from(LABELS, (l) => (e.labels.includes(l) ? 1 : 0)) }));
}

/** Logistic regression per label, AdaGrad steps over shuffled rows: the weights, no calibration. */
function fit(rows: Row[], options: TrainOptions): LinearModel {
  const size = 1 << options.bits;
  const weights = new Float32Array(size * LABELS.length);
  const squares = new Float32Array(size * LABELS.length);
  const bias = new Float64Array(LABELS.length);
  // Each bias is the label's prior log-odds and stays there: the weights explain the rest. A
  // learnt bias drifts with the epochs while L2 shrinks the weights, differently in the models
  // trained on part of the data for calibration and in the final one, which then no longer
  // shares the calibration's scale (grouped cross-validation showed F1 falling with epochs).
  for (let l = 0; l < LABELS.length; l++) {
    const positives = rows.reduce((n, r) => n + r.targets[l]!, 0);
    bias[l] = Math.log((positives + 1) / (rows.length - positives + 1));
  }
  const model: LinearModel = { bits: options.bits, weights, bias, calibration: LABELS.map(() => ({ a: 1, b: 0 })) };
  const random = seededRandom(options.seed);
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const row of shuffle(rows, random)) {
      const { indices, value } = row.features;
      for (let l = 0; l < LABELS.length; l++) {
        const p = 1 / (1 + Math.exp(-logit(model, l, row.features)));
        const g = p - row.targets[l]!;
        if (Math.abs(g) < 1e-4) continue;
        for (const index of indices) {
          const k = index * LABELS.length + l;
          const grad = g * value + options.l2 * weights[k]!;
          squares[k]! += grad * grad;
          weights[k]! -= (options.learningRate * grad) / Math.sqrt(squares[k]! + 1e-8);
        }
      }
    }
  }
  return model;
}

/**
 * Platt scaling: the (a, b) that minimise the log loss of sigmoid(a·z + b) against the labels,
 * with Platt's smoothed targets (so a handful of points cannot push scores to exactly 0 or 1).
 * Newton's method on two parameters; `a` stays positive so a higher logit never scores lower.
 */
export function fitPlatt(logits: number[], targets: number[]): { a: number; b: number } {
  const positives = targets.filter((t) => t === 1).length;
  const negatives = targets.length - positives;
  if (positives === 0 || negatives === 0) return { a: 1, b: 0 };
  const hi = (positives + 1) / (positives + 2);
  const lo = 1 / (negatives + 2);
  let a = 1;
  let b = 0;
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0;
    let gb = 0;
    let haa = 1e-9;
    let hab = 0;
    let hbb = 1e-9;
    for (let i = 0; i < logits.length; i++) {
      const z = logits[i]!;
      const p = 1 / (1 + Math.exp(-(a * z + b)));
      const d = p - (targets[i] === 1 ? hi : lo);
      const w = p * (1 - p);
      ga += d * z;
      gb += d;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (Math.abs(det) < 1e-12) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a = Math.max(1e-3, a - da);
    b -= db;
    if (Math.abs(da) < 1e-7 && Math.abs(db) < 1e-7) break;
  }
  return { a, b };
}

/** Which calibration fold a group falls in: a stable hash of its name, so folds never split a template. */
function foldOf(group: string, folds: number): number {
  let h = 2166136261;
  for (let i = 0; i < group.length; i++) h = Math.imul(h ^ group.charCodeAt(i), 16777619);
  return (h >>> 0) % folds;
}

/**
 * Trains the classifier: deterministic for the same examples and options. With calibration
 * folds, the examples are split by group (template) into folds; a model trained without each
 * fold scores it, and those out-of-fold logits fit each label's calibration, which is then
 * applied to the model trained on everything.
 */
export function trainModel(examples: Example[], options: TrainOptions = DEFAULT_TRAIN_OPTIONS): LinearModel {
  const rows = rowsOf(examples, options.bits);
  const model = fit(rows, options);
  if (options.calibrationFolds < 2) return model;
  const logits: number[][] = LABELS.map(() => []);
  const targets: number[][] = LABELS.map(() => []);
  const folds = examples.map((e, i) => foldOf(e.group ?? String(i), options.calibrationFolds));
  for (let fold = 0; fold < options.calibrationFolds; fold++) {
    const held = rows.filter((_, i) => folds[i] === fold);
    if (held.length === 0) continue;
    const partial = fit(
      rows.filter((_, i) => folds[i] !== fold),
      { ...options, seed: options.seed + fold + 1 },
    );
    for (const row of held) {
      for (let l = 0; l < LABELS.length; l++) {
        logits[l]!.push(logit(partial, l, row.features));
        targets[l]!.push(row.targets[l]!);
      }
    }
  }
  model.calibration = LABELS.map((_, l) => fitPlatt(logits[l]!, targets[l]!));
  return model;
}
