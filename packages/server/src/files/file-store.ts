import type { Readable } from 'node:stream';

/**
 * Where uploaded files (avatars now, attachments later) live. Keys are slash-separated paths
 * such as `avatars/123/abc.webp`; the default implementation writes under DATA_DIR, and
 * object storage can replace it without features noticing.
 */
export interface FileStore {
  put(key: string, data: Buffer): Promise<void>;
  /** Null when there is no such file. */
  get(key: string): Promise<{ stream: Readable; size: number } | null>;
  /** Deleting a missing file is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every file under `prefix/` (an attachment's original and thumbnail, say). */
  deletePrefix(prefix: string): Promise<void>;
}

/** Keys are built by the server, but check anyway: nothing may escape the store's root. */
export function assertSafeKey(key: string): void {
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/.test(key) || key.split('/').some((part) => part === '..' || part === '.')) {
    throw new Error(`Unsafe file key: ${key}`);
  }
}
