import { SafetyLabel, type SafetyScores } from '@parley/protocol';
import { featurize, type FeatureVector } from './features';

export const LABELS: readonly SafetyLabel[] = SafetyLabel.options;

/**
 * A trained one-vs-rest logistic regression over hashed features: for each label, a weight per
 * bucket and a bias, then a Platt calibration (`a·z + b` through the logistic) fitted on
 * held-out predictions, so a score reads as a probability and the instance thresholds (flag
 * 0.5, block 0.85) mean what they say.
 */
export interface LinearModel {
  bits: number;
  /** Bucket-major: weights[bucket * LABELS.length + l], so one bucket's five weights share a cache line. */
  weights: Float32Array;
  bias: Float64Array;
  calibration: { a: number; b: number }[];
}

/** What `model.json` holds: weights quantised to 16 bits per label, base64. */
export interface ModelFile {
  format: 'parley-safety-linear';
  version: 1;
  bits: number;
  labels: SafetyLabel[];
  bias: number[];
  calibration: { a: number; b: number }[];
  /** Per label: weight = int16 · scale. */
  scales: number[];
  /** Per label: 2^bits little-endian int16, base64. */
  weights: string[];
  /** How the model was made (data set, sizes, seed): shown by `npm run safety:eval`. */
  trained: Record<string, string | number>;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

const L = LABELS.length;

/** The raw (uncalibrated) logit of one label for a feature vector. */
export function logit(model: LinearModel, label: number, features: FeatureVector): number {
  let sum = 0;
  for (const index of features.indices) sum += model.weights[index * L + label]!;
  return model.bias[label]! + sum * features.value;
}

/** Calibrated scores in 0..1 for every label. */
function scoreFeatures(model: LinearModel, features: FeatureVector): SafetyScores {
  // All labels in one pass over the buckets: the weights are read once per bucket.
  const sums = new Float64Array(L);
  for (const index of features.indices) {
    const at = index * L;
    for (let l = 0; l < L; l++) sums[l]! += model.weights[at + l]!;
  }
  const scores = {} as SafetyScores;
  for (let l = 0; l < L; l++) {
    const { a, b } = model.calibration[l]!;
    const z = model.bias[l]! + sums[l]! * features.value;
    // Rounded so that the stored scores and API answers stay short; 4 digits is plenty for 0..1.
    scores[LABELS[l]!] = Math.round(sigmoid(a * z + b) * 1e4) / 1e4;
  }
  return scores;
}

export function scoreText(model: LinearModel, text: string): SafetyScores {
  return scoreFeatures(model, featurize(text, model.bits));
}

export function encodeModel(model: LinearModel, trained: ModelFile['trained']): ModelFile {
  const size = 1 << model.bits;
  const scales: number[] = [];
  const weights: string[] = [];
  for (let l = 0; l < L; l++) {
    let max = 0;
    for (let i = 0; i < size; i++) max = Math.max(max, Math.abs(model.weights[i * L + l]!));
    const scale = max === 0 ? 1 : max / 32767;
    const ints = new Int16Array(size);
    for (let i = 0; i < size; i++) ints[i] = Math.round(model.weights[i * L + l]! / scale);
    scales.push(scale);
    weights.push(Buffer.from(ints.buffer, ints.byteOffset, ints.byteLength).toString('base64'));
  }
  return {
    format: 'parley-safety-linear',
    version: 1,
    bits: model.bits,
    labels: [...LABELS],
    bias: [...model.bias],
    calibration: model.calibration.map((c) => ({ ...c })),
    scales,
    weights,
    trained,
  };
}

/** Rebuilds a model from its file, refusing one made for other labels or a damaged one. */
export function decodeModel(file: ModelFile): LinearModel {
  if (file.format !== 'parley-safety-linear' || file.version !== 1) throw new Error(`unknown safety model format ${String(file.format)} v${String(file.version)}`);
  if (file.labels.join() !== LABELS.join()) throw new Error(`safety model labels ${file.labels.join()} differ from ${LABELS.join()}`);
  if (!Number.isInteger(file.bits) || file.bits < 4 || file.bits > 24) throw new Error(`bad safety model size 2^${file.bits}`);
  const size = 1 << file.bits;
  const weights = new Float32Array(size * L);
  for (let l = 0; l < L; l++) {
    const bytes = Buffer.from(file.weights[l] ?? '', 'base64');
    if (bytes.length !== size * 2) throw new Error(`safety model weights for ${LABELS[l]} have ${bytes.length} bytes, expected ${size * 2}`);
    const scale = file.scales[l]!;
    for (let i = 0; i < size; i++) weights[i * L + l] = bytes.readInt16LE(i * 2) * scale;
  }
  return { bits: file.bits, weights, bias: Float64Array.from(file.bias), calibration: file.calibration.map((c) => ({ ...c })) };
}
