import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import S3rver from '@20minutes/s3rver';

const BUCKET = 'parley-test';
/** S3rver's one account. */
const CREDENTIALS = 'S3RVER:S3RVER';

export interface TestS3 {
  /** FILES_S3_URL for a fresh folder of the bucket: each caller's files apart from the others'. */
  url(): string;
  /** Every object in the bucket under `prefix` (full keys), as a listing would show them. */
  objects(prefix?: string): Promise<string[]>;
  /** Multipart uploads begun and neither completed nor aborted: what a failed put must not leave. */
  openMultipartUploads(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * A real S3-compatible server (S3rver: S3's REST API, objects in a directory) on 127.0.0.1 with one bucket. S3rver lacks AbortMultipartUpload, which every
 * S3 implementation has; the few lines below add it (dropping the upload's stored parts), so
 * the store's clean-up after a failed multipart put runs against the server as on S3.
 */
export async function startTestS3(): Promise<TestS3> {
  const directory = await fsp.mkdtemp(path.join(os.tmpdir(), 'parley-s3-'));
  // The access key must exist, but signatures go unchecked: S3rver signs a bucket's own path as
  // `/bucket` where the SDK (as S3) signs `/bucket/`, so listings and batch deletes never match.
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, allowMismatchedSignatures: true, configureBuckets: [{ name: BUCKET }] });
  const uploads = path.join(directory, BUCKET, '._S3rver_uploads');
  server.middleware.unshift(async (ctx, next) => {
    const uploadId = ctx.query.uploadId;
    if (ctx.method !== 'DELETE' || !uploadId || !ctx.path.startsWith(`/${BUCKET}/`) || !/^[a-f0-9-]+$/i.test(uploadId)) return next();
    await fsp.rm(path.join(uploads, uploadId), { recursive: true, force: true });
    ctx.status = 204;
    ctx.body = null;
  });
  const { port } = await server.run();
  let folders = 0;
  return {
    url: () => `s3://${CREDENTIALS}@127.0.0.1:${port}/${BUCKET}/run-${process.pid}-${++folders}?tls=false`,
    objects: async (prefix = '') => {
      const root = path.join(directory, BUCKET);
      const entries = await fsp.readdir(root, { recursive: true }).catch(() => [] as string[]);
      return entries
        .filter((entry) => entry.endsWith('._S3rver_object'))
        .map((entry) => entry.slice(0, -'._S3rver_object'.length))
        .filter((key) => key.startsWith(prefix))
        .sort();
    },
    openMultipartUploads: async () => (await fsp.readdir(uploads).catch(() => [] as string[])).sort(),
    close: async () => {
      // Clients keep idle connections open: closed here, else closing waits for them.
      server.httpServer?.closeAllConnections();
      await server.close();
      await fsp.rm(directory, { recursive: true, force: true });
    },
  };
}
