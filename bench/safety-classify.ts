/**
 * Issue 12's classifier budget: scanning must add under 1 ms p99 to a message send. Scores
 * realistic chat in this process with the shipped model and reports the time per message.
 *
 *   npx tsx bench/safety-classify.ts [--messages 20000] [--warmup 2000] [--wait-idle 600]
 *
 * The messages are the classifier's data set (train and test: short chat, most of it benign),
 * a tenth of them joined into longer paragraphs (up to ~600 characters) and one in 500 a
 * pasted wall of text past the 4,000 characters that are scored, in a seeded random order.
 * Each score() call is timed alone with the monotonic clock; the model is loaded (decoded from
 * the shipped model.json) before timing starts, and its load time is reported apart.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readJsonl } from '../packages/server/src/features/safety/classifier/dataset';
import { loadSafetyClassifier } from '../packages/server/src/features/safety/classifier/index';
import { DATA_DIR } from '../packages/server/src/features/safety/classifier/paths';
import { seededRandom } from '../packages/server/src/features/safety/classifier/train';
import { printTable, printTargets, type ScenarioReport, target, writeReport } from './lib/report';
import { Samples } from './lib/stats';
import { machineInfo, waitForQuietMachine } from './lib/system';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '20000' }, warmup: { type: 'string', default: '2000' }, 'wait-idle': { type: 'string' } } });
const count = Number(values.messages);
const warmup = Number(values.warmup);
// The machine is shared: --wait-idle waits (at most that many seconds) until it is under 30 % busy.
if (values['wait-idle']) console.log(`machine ${await waitForQuietMachine(Number(values['wait-idle']))}% busy at the start`);
const startedAt = new Date();

const texts = [...readJsonl(path.join(DATA_DIR, 'train.jsonl')), ...readJsonl(path.join(DATA_DIR, 'test.jsonl'))].map((e) => e.text);
const random = seededRandom(20_000);
const pick = () => texts[Math.floor(random() * texts.length)]!;
function message(): string {
  const r = random();
  if (r < 0.002) return Array.from({ length: 120 }, pick).join(' ');
  if (r < 0.1) return Array.from({ length: 3 + Math.floor(random() * 12) }, pick).join(' ');
  return pick();
}
const messages = Array.from({ length: count }, message);

const loadStart = performance.now();
const classifier = loadSafetyClassifier();
const loadMs = performance.now() - loadStart;

for (let i = 0; i < warmup; i++) classifier.score(messages[i % messages.length]!);

const micros = new Samples();
/** Messages past 1,000 characters, apart: the paragraphs and pasted walls of text. */
const longMicros = new Samples();
let flagged = 0;
const started = performance.now();
for (const text of messages) {
  const t0 = process.hrtime.bigint();
  const scores = classifier.score(text);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1000;
  micros.add(elapsed);
  if (text.length > 1000) longMicros.add(elapsed);
  if (Math.max(...Object.values(scores)) >= 0.5) flagged++;
}
const seconds = (performance.now() - started) / 1000;
const summary = micros.summary();
const lengths = messages.map((m) => m.length).sort((a, b) => a - b);

printTable('Safety classifier, µs per message (in process)', [
  { messages: 'all', ...summary, 'msg/s': Math.round(count / seconds) },
  { messages: '> 1,000 chars', ...longMicros.summary(), 'msg/s': '' },
]);
console.log(`\nmodel load ${loadMs.toFixed(1)} ms; message length median ${lengths[lengths.length >> 1]} chars, max ${lengths[lengths.length - 1]}; flagged at 0.5: ${flagged}`);
const targets = [target('score() p99 per message', '< 1000 µs', summary.p99, 'µs', (v) => v < 1000)];
printTargets(targets);

const report: ScenarioReport = {
  scenario: 'safety-classify',
  startedAt: startedAt.toISOString(),
  durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
  machine: machineInfo(),
  server: { engine: 'none', nodes: 0, redis: false, target: 'in-process classifier (features/safety/classifier)' },
  params: { messages: count, warmup },
  results: { microsPerMessage: summary, microsPerLongMessage: longMicros.summary(), modelLoadMs: Math.round(loadMs * 10) / 10, messagesPerSecond: Math.round(count / seconds), flaggedAtHalf: flagged },
  targets,
  notes: [],
};
console.log(`\nresults: ${writeReport(report)}`);
process.exitCode = targets.every((t) => t.pass !== false) ? 0 : 1;
