import type { Readable } from 'node:stream';

/** A byte range to read, both ends included (as in HTTP's `Range: bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where uploaded files (avatars, attachments) live. Keys are slash-separated paths such as
 * `avatars/123/abc.webp`; the default implementation writes under DATA_DIR, and object
 * storage can replace it without features noticing.
 */
export interface FileStore {
  put(key: string, data: Buffer): Promise<void>;
  /**
   * Stores a stream as it arrives, never holding it in memory, and returns its size. Past
   * `maxBytes` it stops reading at once and throws FileTooLargeError; a failed or refused
   * write leaves nothing behind (not even part of the file).
   */
  putStream(key: string, source: Readable, options: { maxBytes: number }): Promise<number>;
  /**
   * Appends a stream to the file at `key`, which must hold exactly `offset` bytes (none: it is
   * created when `offset` is 0), else FileOffsetError. Bytes are written as they arrive and
   * stay when the stream fails midway: a dropped connection keeps what arrived, which `size`
   * then tells. Past `maxBytes` new bytes it stops reading at once and throws
   * FileTooLargeError, keeping the bytes up to the limit. Resumable
   * uploads (features/uploads) are written this way; one writer per key at a time.
   */
  append(key: string, source: Readable, options: { offset: number; maxBytes: number }): Promise<number>;
  /** A file's size in bytes, or null when there is no such file. */
  size(key: string): Promise<number | null>;
  /** Renames a file (replacing any file at `to`): a finished upload becomes an attachment. */
  move(from: string, to: string): Promise<void>;
  /** Null when there is no such file. With a range, the stream holds only those bytes; size is the whole file's. */
  get(key: string, range?: ByteRange): Promise<{ stream: Readable; size: number } | null>;
  /** Deleting a missing file is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every file under `prefix/` (an attachment's original and thumbnail, say). */
  deletePrefix(prefix: string): Promise<void>;
}

/** A streamed file went past the byte limit it was given. */
export class FileTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`File exceeds ${maxBytes} bytes`);
    this.name = 'FileTooLargeError';
  }
}

/** An append started at an offset the file does not end at (it holds `size` bytes). */
export class FileOffsetError extends Error {
  constructor(readonly size: number) {
    super(`The file holds ${size} bytes`);
    this.name = 'FileOffsetError';
  }
}

/** Keys are built by the server, but check anyway: nothing may escape the store's root. */
export function assertSafeKey(key: string): void {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(key) || key.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`Unsafe file key: ${key}`);
  }
}
