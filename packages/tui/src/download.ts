import { open, unlink } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { sanitize } from './sanitize';

/** At most this many bytes of UTF-8 in a name (Linux allows 255; room is left for " (12)"). */
const NAME_MAX_BYTES = 200;

/** The longest start of `text` within `bytes` bytes of UTF-8, never splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  let out = '';
  for (const char of text) {
    if (Buffer.byteLength(out + char) > bytes) break;
    out += char;
  }
  return out;
}

/**
 * A name someone else chose, made safe to create in a folder: no directories (`../`, `/`, `\`),
 * no controls, no leading dots (hidden files, `..`), not empty, and short enough for the file
 * system in bytes (keeping a short extension).
 */
export function safeFileName(name: string): string {
  const flat = sanitize(name)
    .replace(/\n/g, ' ')
    .replace(/[/\\]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  const ext = extname(flat).length <= 16 ? extname(flat) : '';
  const cut = Buffer.byteLength(flat) > NAME_MAX_BYTES ? cutToBytes(flat.slice(0, flat.length - ext.length), NAME_MAX_BYTES - Buffer.byteLength(ext)) + ext : flat;
  return cut || 'download';
}

/** Opens a new file for writing, never replacing one: `a.txt`, then `a (1).txt`, `a (2).txt`… */
async function createNew(dir: string, name: string) {
  const ext = extname(name);
  const stem = basename(name, ext);
  for (let n = 0; n < 1000; n++) {
    const path = join(dir, n === 0 ? name : `${stem} (${n})${ext}`);
    try {
      return { path, handle: await open(path, 'wx', 0o644) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new Error(`Too many files called ${name} in ${dir}`);
}

/** Fetches a file, failing with what the server answered. */
async function fetchOk(fetchImpl: typeof fetch, url: string, name: string): Promise<Response & { body: ReadableStream<Uint8Array> }> {
  const response = await fetchImpl(url);
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new Error(`The server answered ${response.status} for ${sanitize(name)}`);
  }
  return response as Response & { body: ReadableStream<Uint8Array> };
}

/** A whole file in memory (a sealed one is opened whole: at most the upload limit). */
export async function fetchBytes(fetchImpl: typeof fetch, url: string, name: string): Promise<Uint8Array> {
  return new Uint8Array(await (await fetchOk(fetchImpl, url, name)).arrayBuffer());
}

/** Writes bytes to a new file in `dir` (never over an existing one); resolves with its path. */
export async function saveFile(file: Blob, dir: string, name: string): Promise<string> {
  const created = await createNew(dir, safeFileName(name));
  try {
    await created.handle.writeFile(new Uint8Array(await file.arrayBuffer()));
  } catch (error) {
    await unlink(created.path).catch(() => undefined);
    throw error;
  } finally {
    await created.handle.close();
  }
  return created.path;
}

/**
 * Streams a download to a new file in `dir` (never over an existing one); resolves with its
 * path. A download that fails on the way leaves no partial file behind.
 */
export async function download(fetchImpl: typeof fetch, url: string, dir: string, name: string): Promise<string> {
  const response = await fetchOk(fetchImpl, url, name);
  let created: Awaited<ReturnType<typeof createNew>>;
  try {
    created = await createNew(dir, safeFileName(name));
  } catch (error) {
    await response.body.cancel();
    throw error;
  }
  try {
    // The handle's own stream closes it (a bare fd closed by the stream would be closed again when the handle is collected).
    await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), created.handle.createWriteStream());
  } catch (error) {
    await unlink(created.path).catch(() => undefined);
    throw error;
  }
  return created.path;
}
