import { constants, createDeflate, type Deflate } from 'node:zlib';

/** The only transport compression offered (`?compress=zlib-stream`), as Discord documents it. */
export const ZLIB_STREAM = 'zlib-stream';

/**
 * Discord's `zlib-stream` transport compression for one connection: a single zlib deflate
 * context for the connection's whole life, every outgoing payload written to it and flushed with
 * Z_SYNC_FLUSH, so each message's compressed bytes end with 00 00 ff ff and the client, holding
 * one inflate context, decodes each message as it arrives (and later messages refer back to
 * earlier ones: a dispatch's keys and IDs cost a few bytes after the first).
 *
 * node:zlib compresses on its thread pool, so a payload's bytes come back later, through
 * `done`. They come back in the order the payloads were given: a zlib stream processes its
 * writes one at a time, in order, and calls each write's callback once that write's output has
 * been emitted (flowing 'data', before the next write starts). The connection relies on that
 * order, and so does the client: a message compressed out of order would not decode.
 *
 * Memory: zlib's deflate state takes up to (1 << (windowBits + 2)) + (1 << (memLevel + 9)) bytes
 * (zconf.h), 256 KiB with its defaults (15, 8), for every compressed connection as long as it
 * lives. Here at most 48 KiB: an 8 KiB window (windowBits 13) and memLevel 5. In RSS, after
 * 120 KB of dispatches through each of 1,000 streams (Node 20): ~61 KiB per stream, Node's
 * objects and buffers included, against ~94 KiB with the defaults, which keep growing as their
 * 32 KiB window fills. Measured on a busy
 * channel's real dispatches (`bench/run.ts lowband`, bench/README.md): memLevel changes nothing
 * in the size (5 and 8 give the same bytes), while each halving of the window costs more bytes,
 * as dispatches of ~1 KB repeat what the previous few said (keys, IDs, authors): 13 sends ~13 %
 * more than 15, 12 ~28 % more, 10 over three times as much. Any client inflates it: the zlib header
 * names the window, and inflate's default (15) accepts every smaller one. Output is gathered in
 * 4 KiB chunks rather than zlib's default 16 KiB buffer per stream. The context is freed when the
 * connection closes.
 */
const DEFLATE_OPTIONS = { windowBits: 13, memLevel: 5, level: 6, chunkSize: 4096, flush: constants.Z_SYNC_FLUSH };

export class StreamCompressor {
  private readonly deflate: Deflate = createDeflate(DEFLATE_OPTIONS);
  private output: Buffer[] = [];
  /** Payload bytes given but not yet handed back compressed (counted against the slow-consumer limit). */
  pendingBytes = 0;
  private pendingWrites = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor() {
    this.deflate.on('data', (chunk: Buffer) => this.output.push(chunk));
    // Only after close (writes refused): nothing is waiting for those writes any more.
    this.deflate.on('error', () => undefined);
  }

  /** Compresses one payload; `done` gets its bytes (ending 00 00 ff ff), in the order payloads were given. */
  compress(payload: Buffer | string, done: (compressed: Buffer) => void): void {
    if (this.closed) return;
    const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    this.pendingBytes += length;
    this.pendingWrites++;
    // Each write is flushed with Z_SYNC_FLUSH (the stream's `flush` option): one thread-pool round per message.
    this.deflate.write(payload, (error) => {
      this.pendingBytes -= length;
      this.pendingWrites--;
      const compressed = this.output.length === 1 ? this.output[0]! : Buffer.concat(this.output);
      this.output = [];
      if (!error && !this.closed) done(compressed);
      if (this.pendingWrites === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
  }

  /** Resolves once everything given so far has been handed back (at once when nothing is pending). */
  idle(): Promise<void> {
    if (this.pendingWrites === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Frees the zlib context; what is still pending is dropped. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.deflate.destroy();
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
