// Reports the JavaScript a browser downloads before the chat screen can show (the entry and
// the chat route's chunk, with everything they import statically), gzipped, and fails when it
// is over the budget. Run after `vite build` (part of `npm run build`).
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

// Raised from 250 KB when messages gained embeds, custom emoji and webhook authors (their
// schemas and drawing are on the chat route: every message may carry them), and to 254 KB when
// the outbox gained resumable uploads (its upload jobs; the tus client itself, the progress bar,
// peer-to-peer transfer and push settings load on first use) and messages file offers, and to
// 256 KB for stage channels and big calls (their gateway schemas, which every dispatch is checked
// against, the prefetch of the call engine on pointing at a voice channel; the stage view, the
// SDK's stage logic and the SFU client load with a call).
const BUDGET_BYTES = 256 * 1024;
const dist = 'packages/web/dist';
const manifest = JSON.parse(fs.readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8'));

/** A chunk and everything it imports statically, as manifest keys. */
function closure(key, seen = new Set()) {
  if (seen.has(key)) return seen;
  seen.add(key);
  for (const imported of manifest[key]?.imports ?? []) closure(imported, seen);
  return seen;
}

const entry = Object.keys(manifest).find((key) => manifest[key].isEntry);
const chatRoute = Object.keys(manifest).find((key) => key.endsWith('features/chat/GuildView.vue'));
if (!entry || !chatRoute) throw new Error('bundle-report: entry or chat route chunk not found in the Vite manifest');
const keys = closure(chatRoute, closure(entry));
let total = 0;
const rows = [...keys].map((key) => {
  const file = manifest[key].file;
  const size = gzipSync(fs.readFileSync(path.join(dist, file))).length;
  total += size;
  return { file, size };
});
rows.sort((a, b) => b.size - a.size);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`Initial JS for the chat route: ${kb(total)} gzipped (budget ${kb(BUDGET_BYTES)})`);
for (const row of rows.slice(0, 6)) console.log(`  ${kb(row.size).padStart(9)}  ${row.file}`);
if (total > BUDGET_BYTES) {
  console.error('bundle-report: over budget');
  process.exit(1);
}
