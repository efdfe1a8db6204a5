// The tui scenario's cross-check, run by tmux (`pipe-pane -O`): reads what a pane's program wrote
// to its terminal, as tmux itself read it from the pty, and appends `<CLOCK_MONOTONIC µs> <id>`
// to the file in argv the first time each `[[id]]` marker arrives (the client's trace format).
import { openSync, writeSync } from 'node:fs';

const fd = openSync(process.argv[2], 'a');
const seen = new Set();
let tail = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  const at = process.hrtime.bigint() / 1000n;
  // A marker may be split between two reads: keep the end of the previous one.
  const text = tail + chunk;
  for (const [, id] of text.matchAll(/\[\[([\w.-]{1,40})\]\]/g)) {
    if (seen.has(id)) continue;
    seen.add(id);
    writeSync(fd, `${at} ${id}\n`);
  }
  tail = text.slice(-45);
});
