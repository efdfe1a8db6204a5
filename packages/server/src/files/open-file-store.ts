import path from 'node:path';
import { DiskFileStore } from './disk-file-store';
import type { FileStore } from './file-store';
import { S3FileStore } from './s3-file-store';
import type { S3Location } from './s3-url';

/** The bucket of FILES_S3_URL when set (checked before the server starts), else DATA_DIR/files. */
export async function openFileStore(dataDir: string, s3: S3Location | null): Promise<FileStore> {
  if (!s3) return new DiskFileStore(path.join(dataDir, 'files'));
  const store = new S3FileStore(s3);
  await store.check();
  return store;
}
