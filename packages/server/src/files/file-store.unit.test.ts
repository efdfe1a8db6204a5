import { once } from 'node:events';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskFileStore } from './disk-file-store';
import { FileOffsetError, FileTooLargeError } from './file-store';

let root: string;
let store: DiskFileStore;
beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'parley-files-'));
  store = new DiskFileStore(root);
});
afterEach(() => fsp.rm(root, { recursive: true, force: true }));

/** Every file under the store's root, as keys. */
async function listed(): Promise<string[]> {
  const entries = await fsp.readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** A stream of `count` chunks of `size` bytes, produced on demand (never all in memory). */
function chunks(count: number, size: number): { stream: Readable; produced: () => number } {
  let produced = 0;
  const stream = new Readable({
    read() {
      if (produced === count) return void this.push(null);
      produced++;
      this.push(Buffer.alloc(size, 97));
    },
  });
  return { stream, produced: () => produced };
}

describe('DiskFileStore.putStream', () => {
  it('stores a stream and reports its size; ranges read part of it', async () => {
    const size = await store.putStream('a/1/file', Readable.from([Buffer.from('hello '), Buffer.from('world')]), { maxBytes: 11 });
    expect(size).toBe(11);
    const whole = await store.get('a/1/file');
    expect(whole!.size).toBe(11);
    expect(await text(whole!.stream)).toBe('hello world');
    expect(await text((await store.get('a/1/file', { start: 6, end: 10 }))!.stream)).toBe('world');
    expect(await listed()).toEqual(['a/1/file']);
  });

  it('stops reading as soon as the limit is passed and leaves no file, not even a partial one', async () => {
    const source = chunks(1000, 1024);
    await expect(store.putStream('a/2/file', source.stream, { maxBytes: 10 * 1024 })).rejects.toBeInstanceOf(FileTooLargeError);
    // The 11th chunk crossed the line; a few more may sit in stream buffers, never the rest.
    expect(source.produced()).toBeLessThan(100);
    expect(await listed()).toEqual([]);
    expect(await store.get('a/2/file')).toBeNull();
  });

  it('leaves nothing behind when the source fails midway', async () => {
    const source = new Readable({ read() {} });
    const stored = store.putStream('a/3/file', source, { maxBytes: 1024 });
    source.push(Buffer.from('partial'));
    await once(source, 'resume'); // being written
    source.destroy(new Error('client went away'));
    await expect(stored).rejects.toThrow('client went away');
    expect(await listed()).toEqual([]);
  });

  it('keeps the previous file when a replacement fails', async () => {
    await store.put('a/4/file', Buffer.from('old'));
    await expect(store.putStream('a/4/file', chunks(10, 1024).stream, { maxBytes: 100 })).rejects.toBeInstanceOf(FileTooLargeError);
    expect(await text((await store.get('a/4/file'))!.stream)).toBe('old');
  });
});

describe('DiskFileStore.append', () => {
  /** A stream that sends `parts` a few milliseconds apart, then fails, as a dropped connection does. */
  function cutAfter(parts: Buffer[]): Readable {
    let index = 0;
    return new Readable({
      read() {
        setTimeout(() => (index < parts.length ? this.push(parts[index++]) : this.destroy(new Error('connection reset'))), 5);
      },
    });
  }

  it('creates at offset 0, appends at the end, and refuses any other offset', async () => {
    expect(await store.size('u/1/part')).toBeNull();
    expect(await store.append('u/1/part', Readable.from([Buffer.from('hello ')]), { offset: 0, maxBytes: 100 })).toBe(6);
    expect(await store.append('u/1/part', Readable.from([Buffer.from('world')]), { offset: 6, maxBytes: 100 })).toBe(11);
    const wrong = await store.append('u/1/part', Readable.from([Buffer.from('!')]), { offset: 3, maxBytes: 100 }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(FileOffsetError);
    expect((wrong as FileOffsetError).size).toBe(11);
    await expect(store.append('u/2/part', Readable.from([Buffer.from('x')]), { offset: 5, maxBytes: 100 })).rejects.toBeInstanceOf(FileOffsetError);
    expect(await text((await store.get('u/1/part'))!.stream)).toBe('hello world');
  });

  it('keeps what arrived before the stream failed, so the next append continues there', async () => {
    await expect(store.append('u/1/part', cutAfter([Buffer.from('abc'), Buffer.from('def')]), { offset: 0, maxBytes: 100 })).rejects.toThrow('connection reset');
    expect(await store.size('u/1/part')).toBe(6);
    await store.append('u/1/part', Readable.from([Buffer.from('ghi')]), { offset: 6, maxBytes: 100 });
    expect(await text((await store.get('u/1/part'))!.stream)).toBe('abcdefghi');
  });

  it('stops reading past its limit, keeping the bytes up to it', async () => {
    const { stream, produced } = chunks(1000, 1024);
    await expect(store.append('u/1/part', stream, { offset: 0, maxBytes: 4096 })).rejects.toBeInstanceOf(FileTooLargeError);
    expect(produced()).toBeLessThan(100);
    expect(await store.size('u/1/part')).toBe(4096);
  });

  it('moves a finished file to its place', async () => {
    await store.append('u/1/part', Readable.from([Buffer.from('done')]), { offset: 0, maxBytes: 100 });
    await store.move('u/1/part', 'attachments/9/1/file');
    expect(await store.size('u/1/part')).toBeNull();
    expect(await listed()).toEqual([path.join('attachments', '9', '1', 'file')]);
  });
});
