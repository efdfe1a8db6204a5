// `npm run safety:data`: regenerates the classifier's labelled data set (train.jsonl and the
// held-out test.jsonl) from its templates and word lists. Deterministic: the same seed writes
// the same files. See docs/safety.md for how the data was made and what that implies.
import path from 'node:path';
import { writeJsonl } from '../packages/server/src/features/safety/classifier/dataset';
import { generateDataset } from '../packages/server/src/features/safety/classifier/data/generate';
import { DATA_DIR } from '../packages/server/src/features/safety/classifier/paths';

const { train, test } = generateDataset(2026);
writeJsonl(path.join(DATA_DIR, 'train.jsonl'), train);
writeJsonl(path.join(DATA_DIR, 'test.jsonl'), test);
const count = (rows: typeof train) => {
  const by: Record<string, number> = {};
  for (const row of rows) for (const label of row.labels.length ? row.labels : ['benign']) by[label] = (by[label] ?? 0) + 1;
  return Object.entries(by)
    .map(([label, n]) => `${label} ${n}`)
    .join(', ');
};
console.log(`train.jsonl: ${train.length} messages (${count(train)})`);
console.log(`test.jsonl: ${test.length} messages (${count(test)})`);
