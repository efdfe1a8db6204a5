// `npm run safety:eval`: scores the held-out data/test.jsonl (templates the model never saw)
// with the shipped model.json and prints precision, recall and F1 per label at the instance's
// default flag (0.5) and block (0.85) thresholds. `--json` prints the numbers as JSON instead.
// `--cv` instead cross-validates the training options on data/train.jsonl alone (4 folds by
// template, so no fold shares a template with the data it is scored by): how the options in
// train.ts were chosen without looking at the test set. `--cv --options '{"l2":0.0003}'` tries
// other options.
import fs from 'node:fs';
import path from 'node:path';
import { readJsonl } from '../packages/server/src/features/safety/classifier/dataset';
import { classifierFromModel } from '../packages/server/src/features/safety/classifier/index';
import { evaluate, formatEvaluation } from '../packages/server/src/features/safety/classifier/metrics';
import { encodeModel, type ModelFile } from '../packages/server/src/features/safety/classifier/model';
import { DATA_DIR, MODEL_FILE } from '../packages/server/src/features/safety/classifier/paths';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from '../packages/server/src/features/safety/classifier/train';

type Cases = Parameters<typeof evaluate>[0];

function heldOut(): { title: string; cases: Cases } {
  const classifier = classifierFromModel(JSON.parse(fs.readFileSync(MODEL_FILE, 'utf8')) as ModelFile);
  const test = readJsonl(path.join(DATA_DIR, 'test.jsonl'));
  return { title: `held-out test set: ${test.length} messages from templates not used in training`, cases: test.map((e) => ({ labels: e.labels, scores: classifier.score(e.text) })) };
}

function crossValidated(): { title: string; cases: Cases } {
  const at = process.argv.indexOf('--options');
  const options = { ...DEFAULT_TRAIN_OPTIONS, ...(at > 0 ? (JSON.parse(process.argv[at + 1] ?? '{}') as Partial<typeof DEFAULT_TRAIN_OPTIONS>) : {}) };
  const train = readJsonl(path.join(DATA_DIR, 'train.jsonl'));
  const folds = 4;
  const foldOf = (group: string) => [...group].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7) % folds;
  const cases: Cases = [];
  for (let fold = 0; fold < folds; fold++) {
    const model = trainModel(
      train.filter((e) => foldOf(e.group ?? e.text) !== fold),
      options,
    );
    const classifier = classifierFromModel(encodeModel(model, {}));
    for (const e of train.filter((e) => foldOf(e.group ?? e.text) === fold)) cases.push({ labels: e.labels, scores: classifier.score(e.text) });
  }
  return { title: `training set, ${folds}-fold cross-validation by template (${train.length} messages), options ${JSON.stringify(options)}`, cases };
}

const { title, cases } = process.argv.includes('--cv') ? crossValidated() : heldOut();
const evaluations = [0.5, 0.85].map((threshold) => evaluate(cases, threshold));
if (process.argv.includes('--json')) {
  console.log(JSON.stringify(evaluations, null, 2));
} else {
  console.log(title);
  for (const evaluation of evaluations) console.log(`\n${formatEvaluation(evaluation)}`);
}
