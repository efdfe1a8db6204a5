import { createHash } from 'node:crypto';
import { once } from 'node:events';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer, text } from 'node:stream/consumers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TestS3, startTestS3 } from '../testing/s3';
import { DiskFileStore } from './disk-file-store';
import { FileOffsetError, type FileStore, FileTooLargeError } from './file-store';
import { S3FileStore } from './s3-file-store';
import { parseS3Url } from './s3-url';

/** A store under test and every file it holds, as keys (what a failed write must not leave). */
interface Subject {
  store: FileStore;
  listed(): Promise<string[]>;
  dispose(): Promise<void>;
}

let s3: TestS3;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(() => s3?.close());

/** The contract (file-store.ts), the same cases for each implementation. */
const implementations: [string, () => Promise<Subject>][] = [
  [
    'DiskFileStore',
    async () => {
      const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'parley-files-'));
      return {
        store: new DiskFileStore(root),
        listed: async () => {
          const entries = await fsp.readdir(root, { recursive: true, withFileTypes: true });
          return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
        },
        dispose: () => fsp.rm(root, { recursive: true, force: true }),
      };
    },
  ],
  [
    'S3FileStore',
    async () => {
      const location = parseS3Url(s3.url());
      const store = new S3FileStore(location);
      await store.check();
      return {
        store,
        listed: async () => (await s3.objects(location.keyPrefix)).map((key) => key.slice(location.keyPrefix.length)),
        dispose: async () => undefined,
      };
    },
  ],
];

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

describe.each(implementations)('%s', (_name, open) => {
  let subject: Subject;
  let store: FileStore;
  const listed = () => subject.listed();
  beforeEach(async () => {
    subject = await open();
    store = subject.store;
  });
  afterEach(() => subject.dispose());

  describe('putStream', () => {
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

  describe('append', () => {
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

    it('appends to a file written whole, at its end only', async () => {
      await store.put('u/2/part', Buffer.from('whole '));
      await expect(store.append('u/2/part', Readable.from([Buffer.from('x')]), { offset: 0, maxBytes: 100 })).rejects.toBeInstanceOf(FileOffsetError);
      expect(await store.append('u/2/part', Readable.from([Buffer.from('and more')]), { offset: 6, maxBytes: 100 })).toBe(14);
      expect(await text((await store.get('u/2/part'))!.stream)).toBe('whole and more');
      await store.put('u/3/part', Buffer.alloc(0));
      expect(await store.append('u/3/part', Readable.from([Buffer.from('abc')]), { offset: 0, maxBytes: 100 })).toBe(3);
      await store.move('u/2/part', 'u/2/file');
      await store.move('u/3/part', 'u/3/file');
      expect((await listed()).sort()).toEqual([path.join('u', '2', 'file'), path.join('u', '3', 'file')]);
      expect(await text((await store.get('u/3/file'))!.stream)).toBe('abc');
    });

    it('moves a finished file to its place', async () => {
      await store.append('u/1/part', Readable.from([Buffer.from('done')]), { offset: 0, maxBytes: 100 });
      await store.move('u/1/part', 'attachments/9/1/file');
      expect(await store.size('u/1/part')).toBeNull();
      expect(await listed()).toEqual([path.join('attachments', '9', '1', 'file')]);
    });
  });

  describe('larger files, reading and deleting', () => {
    const MiB = 1024 * 1024;

    /** `count` chunks of `size` bytes, each filled with its own number: order and joins show. */
    function* pattern(count: number, size: number, from = 0): Generator<Buffer> {
      for (let i = from; i < from + count; i++) yield Buffer.alloc(size, i % 251);
    }
    const patterned = (count: number, size: number, from = 0) => Readable.from(pattern(count, size, from));

    async function sha256(stream: Readable): Promise<string> {
      const hash = createHash('sha256');
      for await (const chunk of stream) hash.update(chunk as Buffer);
      return hash.digest('hex');
    }

    it('a file appended in large and small pieces moves and reads back byte for byte, ranges across the joins too', async () => {
      // 20 MiB in one append (several parts on S3, joined in the bucket), then a small tail, then a large one.
      let offset = await store.append('u/9/part', patterned(20, MiB), { offset: 0, maxBytes: 64 * MiB });
      offset = await store.append('u/9/part', patterned(3, 1000, 20), { offset, maxBytes: 64 * MiB });
      offset = await store.append('u/9/part', patterned(6, MiB, 23), { offset, maxBytes: 64 * MiB });
      expect(offset).toBe(26 * MiB + 3000);
      expect(await store.size('u/9/part')).toBe(offset);
      const range = { start: 20 * MiB - 10, end: 20 * MiB + 1010 };
      const before = await buffer((await store.get('u/9/part', range))!.stream);
      await store.move('u/9/part', 'attachments/9/9/file');
      expect(await listed()).toEqual([path.join('attachments', '9', '9', 'file')]);
      const moved = await store.get('attachments/9/9/file');
      expect(moved!.size).toBe(offset);
      const expected = await sha256(
        Readable.from(
          (function* () {
            yield* pattern(20, MiB);
            yield* pattern(3, 1000, 20);
            yield* pattern(6, MiB, 23);
          })(),
        ),
      );
      expect(await sha256(moved!.stream)).toBe(expected);
      const after = await buffer((await store.get('attachments/9/9/file', range))!.stream);
      expect(after).toEqual(before);
      expect([...after.subarray(0, 10)]).toEqual(Array(10).fill(19));
      expect([...after.subarray(10, 1010)]).toEqual(Array(1000).fill(20));
      expect(after[1010]).toBe(21);
    });

    it('a file appended in one long stream moves whole (on S3: its parts joined in the bucket)', async () => {
      expect(await store.append('u/8/part', patterned(21, MiB), { offset: 0, maxBytes: 64 * MiB })).toBe(21 * MiB);
      await store.move('u/8/part', 'attachments/9/8/file');
      expect(await listed()).toEqual([path.join('attachments', '9', '8', 'file')]);
      expect(await sha256((await store.get('attachments/9/8/file'))!.stream)).toBe(await sha256(patterned(21, MiB)));
    });

    it('a multi-part put stream past its limit leaves no object and no unfinished upload', async () => {
      await expect(store.putStream('a/5/file', patterned(30, MiB), { maxBytes: 20 * MiB })).rejects.toBeInstanceOf(FileTooLargeError);
      expect(await listed()).toEqual([]);
      if (store instanceof S3FileStore) expect(await s3.openMultipartUploads()).toEqual([]);
      expect(await store.putStream('a/5/file', patterned(17, MiB), { maxBytes: 20 * MiB })).toBe(17 * MiB);
      expect((await store.get('a/5/file'))!.size).toBe(17 * MiB);
    });

    it('a range of an empty file is empty; a missing file is null, its size too', async () => {
      await store.put('a/6/empty', Buffer.alloc(0));
      const empty = await store.get('a/6/empty', { start: 0, end: 11 });
      expect(empty!.size).toBe(0);
      expect((await buffer(empty!.stream)).length).toBe(0);
      expect(await store.get('a/6/missing')).toBeNull();
      expect(await store.size('a/6/missing')).toBeNull();
    });

    it('delete and deletePrefix remove files (appended ones included), missing ones are no error', async () => {
      await store.put('x/1/file', Buffer.from('1'));
      await store.put('x/1/thumb.webp', Buffer.from('2'));
      await store.append('x/1/upload.part', Readable.from([Buffer.from('3')]), { offset: 0, maxBytes: 10 });
      await store.put('x/10/file', Buffer.from('not under x/1/'));
      await store.put('y/1/file', Buffer.from('4'));
      await store.append('y/1/upload.part', Readable.from([Buffer.from('5')]), { offset: 0, maxBytes: 10 });
      await store.deletePrefix('x/1');
      await store.delete('y/1/upload.part');
      await store.delete('y/1/never-was');
      await store.deletePrefix('z');
      expect((await listed()).sort()).toEqual([path.join('x', '10', 'file'), path.join('y', '1', 'file')]);
      expect(await store.size('y/1/upload.part')).toBeNull();
    });

    it('put replaces a file, move replaces its target', async () => {
      await store.put('r/1/file', Buffer.from('first'));
      await store.put('r/1/file', Buffer.from('second'));
      await store.put('r/2/file', Buffer.from('third'));
      await store.move('r/2/file', 'r/1/file');
      expect(await text((await store.get('r/1/file'))!.stream)).toBe('third');
      expect(await listed()).toEqual([path.join('r', '1', 'file')]);
    });
  });
});

describe('S3FileStore when the bucket fails', () => {
  it('a put stream fails with the bucket’s error instead of waiting for a reader forever', async () => {
    const location = { ...parseS3Url(s3.url()), bucket: 'no-such-bucket' };
    const store = new S3FileStore(location);
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 30; i++) yield Buffer.alloc(1024 * 1024, i);
      })(),
    );
    await expect(store.putStream('a/1/file', source, { maxBytes: 64 * 1024 * 1024 })).rejects.toThrow(/bucket/i);
    expect(source.destroyed).toBe(true);
  });
});
