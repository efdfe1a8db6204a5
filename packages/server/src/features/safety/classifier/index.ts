import type { SafetyLabel, SafetyScores } from '@parley/protocol';
import { type LinearModel, LABELS, type ModelFile, decodeModel, scoreText } from './model';
// Bundled into the server build by esbuild (and loaded by tsx/vitest from source), so the model
// travels with the code: no path to resolve at run time, nothing to copy next to dist/.
import shipped from './model.json';

/**
 * The offline harassment classifier: scores a message for every SafetyLabel, each 0..1, in
 * process, with no network and no external service. Scores are calibrated probabilities, so
 * the instance thresholds (safety_flag_threshold 0.5, safety_block_threshold 0.85) apply as is.
 * Only the first MAX_SCORED_CHARS (4,000) characters of a message are scored.
 */
export interface SafetyClassifier {
  score(text: string): SafetyScores;
}

/** A classifier over a given model file (tests, evaluation); the server uses loadSafetyClassifier. */
export function classifierFromModel(file: ModelFile): SafetyClassifier {
  const model: LinearModel = decodeModel(file);
  return { score: (text) => scoreText(model, text) };
}

let loaded: SafetyClassifier | undefined;

/** The classifier with the model that ships in the repository, decoded once (about 10 ms) and then shared. */
export function loadSafetyClassifier(): SafetyClassifier {
  loaded ??= classifierFromModel(shipped as ModelFile);
  return loaded;
}

/** The labels whose score is at or above `threshold`, highest first. */
export function flaggedLabels(scores: SafetyScores, threshold: number): SafetyLabel[] {
  return LABELS.filter((label) => scores[label] >= threshold).sort((a, b) => scores[b] - scores[a]);
}
