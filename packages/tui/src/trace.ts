import { openSync, writeSync } from 'node:fs';

/** What a traced marker looks like in a message: `[[` + a short id + `]]` (plain text to the Markdown parser). */
const MARKER = /\[\[([\w.-]{1,40})\]\]/g;

/**
 * Opt-in render tracing for benchmarks (bench/run.ts tui): with PARLEY_TUI_TRACE=FILE set,
 * every write to the terminal is scanned for markers, and the first time each one is written
 * a line `<CLOCK_MONOTONIC µs> <id>` is appended to FILE, taken once the write has returned
 * (a TTY write is synchronous in Node on Linux: the bytes are in the terminal's pty then).
 * Also `<µs> first-frame` for the first write. Without the variable nothing is wrapped.
 */
export function traceTerminalWrites(stream: NodeJS.WriteStream, file = process.env.PARLEY_TUI_TRACE): void {
  if (!file) return;
  const fd = openSync(file, 'a');
  const seen = new Set<string>();
  const log = (what: string) => writeSync(fd, `${process.hrtime.bigint() / 1000n} ${what}\n`);
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let first = true;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    const written = write(chunk, ...rest);
    if (first) log('first-frame');
    first = false;
    const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '';
    for (const [, id] of text.matchAll(MARKER)) {
      if (seen.has(id!)) continue;
      seen.add(id!);
      log(id!);
    }
    return written;
  }) as typeof stream.write;
}
