/**
 * Summarises a V8 .cpuprofile (from `bench/run.ts … --cpu-prof`): the functions with the most
 * self time, and the most inclusive time, so a hot path shows without opening DevTools.
 *
 *   npx tsx bench/profile-top.ts bench/results/profiles/<file>.cpuprofile [--top 30] [--filter text]
 *     [--from µs --to µs]
 *
 * --from/--to keep only samples in that window, on the monotonic clock V8 profiles use (the
 * bench's `window` fields in results JSON), so set-up time does not drown the measured phase.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, filter: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: npx tsx bench/profile-top.ts <file.cpuprofile> [--top N] [--filter text]');
  process.exit(2);
}
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
const top = Number(values.top);

const from = values.from === undefined ? Number.NEGATIVE_INFINITY : Number(values.from);
const to = values.to === undefined ? Number.POSITIVE_INFINITY : Number(values.to);
// Time per sample from the deltas (samples are not evenly spaced); sample i is taken at the
// profile's start plus the deltas up to i.
const selfMicros = new Map<number, number>();
let at = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  at += profile.timeDeltas[i] ?? 0;
  if (at < from || at > to) continue;
  const id = profile.samples[i]!;
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
}
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const label = (n: ProfileNode) => {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? `${path.basename(url.replace(/^file:\/\//, ''))}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
for (const [id, micros] of selfMicros) {
  total += micros;
  const node = byId.get(id)!;
  self.set(label(node), (self.get(label(node)) ?? 0) + micros);
  // Inclusive: each distinct frame label on the stack counts once per sample.
  const seen = new Set<string>();
  for (let frame: number | undefined = id; frame !== undefined; frame = parent.get(frame)) {
    const l = label(byId.get(frame)!);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + micros);
  }
}

const print = (title: string, map: Map<string, number>) => {
  const rows = [...map]
    .filter(([l]) => !values.filter || l.includes(values.filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [l, micros] of rows) console.log(`${(micros / 1000).toFixed(0).padStart(8)} ms ${((micros / total) * 100).toFixed(1).padStart(5)}%  ${l}`);
};
print('Self time', self);
print('Inclusive time', inclusive);
