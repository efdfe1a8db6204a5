// `npm run safety:train`: trains the offline harassment classifier on data/train.jsonl and
// writes packages/server/src/features/safety/classifier/model.json, which ships with the server.
// Deterministic: the same data and options write the same file.
import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { readJsonl } from '../packages/server/src/features/safety/classifier/dataset';
import { encodeModel } from '../packages/server/src/features/safety/classifier/model';
import { DATA_DIR, MODEL_FILE } from '../packages/server/src/features/safety/classifier/paths';
import { DEFAULT_TRAIN_OPTIONS, trainModel } from '../packages/server/src/features/safety/classifier/train';

const train = readJsonl(path.join(DATA_DIR, 'train.jsonl'));
const started = performance.now();
const model = trainModel(train, DEFAULT_TRAIN_OPTIONS);
const seconds = (performance.now() - started) / 1000;
const file = encodeModel(model, {
  data: 'data/train.jsonl (template-generated, see docs/safety.md)',
  examples: train.length,
  ...Object.fromEntries(Object.entries(DEFAULT_TRAIN_OPTIONS).map(([k, v]) => [k, v])),
});
// Written as prettier would write it, so `npm run format:check` stays green after a retrain.
const options = await prettier.resolveConfig(MODEL_FILE);
fs.writeFileSync(MODEL_FILE, await prettier.format(JSON.stringify(file), { ...options, filepath: MODEL_FILE }));
console.log(`trained on ${train.length} messages in ${seconds.toFixed(1)} s; wrote ${path.relative(process.cwd(), MODEL_FILE)} (${(fs.statSync(MODEL_FILE).size / 1024).toFixed(0)} KiB)`);
file.calibration.forEach((c, l) => console.log(`  ${file.labels[l]}: calibration a=${c.a.toFixed(3)} b=${c.b.toFixed(3)}`));
