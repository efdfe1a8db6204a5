import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ByteRange, FileOffsetError, type FileStore, FileTooLargeError, assertSafeKey } from './file-store';

/** Files on local disk under one directory; writes are atomic (temp file, then rename). */
export class DiskFileStore implements FileStore {
  constructor(private readonly root: string) {}

  async put(key: string, data: Buffer): Promise<void> {
    const { target, temp } = await this.prepareWrite(key);
    await fsp.writeFile(temp, data);
    await fsp.rename(temp, target);
  }

  async putStream(key: string, source: Readable, options: { maxBytes: number }): Promise<number> {
    const { target, temp } = await this.prepareWrite(key);
    let size = 0;
    // Counts while the bytes flow: the limit holds however the sender declared (or hid) the length.
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(size > options.maxBytes ? new FileTooLargeError(options.maxBytes) : null, chunk);
      },
    });
    try {
      await pipeline(source, limit, fs.createWriteStream(temp, { flags: 'wx' }));
      await fsp.rename(temp, target);
      return size;
    } catch (error) {
      await fsp.rm(temp, { force: true });
      throw error;
    }
  }

  async append(key: string, source: Readable, options: { offset: number; maxBytes: number }): Promise<number> {
    const file = this.pathOf(key);
    const size = await this.size(key);
    // Nothing is read then: what to do with the unread source is the caller's choice.
    if ((size ?? 0) !== options.offset) throw new FileOffsetError(size ?? 0);
    if (size === null) await fsp.mkdir(path.dirname(file), { recursive: true });
    let added = 0;
    // Written chunk by chunk, each awaited: a write stream would drop what it still buffered
    // when the source fails, and whatever arrived before a failure must stay.
    const handle = await fsp.open(file, 'a');
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        if (added + chunk.length > options.maxBytes) {
          // Up to the limit, and not a byte further.
          await handle.write(chunk.subarray(0, options.maxBytes - added));
          source.destroy();
          throw new FileTooLargeError(options.maxBytes);
        }
        await handle.write(chunk);
        added += chunk.length;
      }
    } finally {
      await handle.close();
    }
    return options.offset + added;
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await fsp.stat(this.pathOf(key))).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async move(from: string, to: string): Promise<void> {
    const target = this.pathOf(to);
    const source = this.pathOf(from);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await fsp.rename(source, target);
  }

  async get(key: string, range?: ByteRange): Promise<{ stream: fs.ReadStream; size: number } | null> {
    const file = this.pathOf(key);
    try {
      const stat = await fsp.stat(file);
      return { stream: fs.createReadStream(file, range ?? {}), size: stat.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.pathOf(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    await fsp.rm(this.pathOf(prefix), { recursive: true, force: true });
  }

  /** The final path and a unique temp path beside it (same directory, so the rename is atomic). */
  private async prepareWrite(key: string): Promise<{ target: string; temp: string }> {
    const target = this.pathOf(key);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    return { target, temp: `${target}.${randomBytes(6).toString('hex')}.tmp` };
  }

  private pathOf(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, key);
  }
}
