import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type ByteRange, FileOffsetError, type FileStore, FileTooLargeError, assertSafeKey } from './file-store';
import type { S3Location } from './s3-url';

/**
 * Appended bytes are gathered in memory up to this size, then written as one part object: a
 * stream never sits whole in memory, and parts this large (over S3's 5 MiB minimum) can be
 * joined by the bucket itself when the upload is finished.
 */
const APPEND_PART_BYTES = 8 * 1024 * 1024;
/** S3's smallest part of a multipart upload (all but the last). */
const MIN_MULTIPART_BYTES = 5 * 1024 * 1024;
/** Streamed puts upload parts of this size, at most two at a time (what one put holds in memory). */
const PUT_PART_BYTES = 8 * 1024 * 1024;
const PUT_QUEUE = 2;

/** A stored object: its full key in the bucket (with the location's prefix) and its size. */
interface StoredObject {
  key: string;
  size: number;
}

/**
 * Files in an S3-compatible bucket (FILES_S3_URL; docs/object-storage.md). Keys are the same as
 * on disk, under the URL's prefix. S3 has no append, so a file being appended to (a resumable
 * upload) is a run of numbered part objects under `<key>~parts/` (`~` never appears in a
 * key, so they can't collide with a file): its size is the parts' sum, a failed stream keeps
 * the parts written (and the bytes it held), and `move` joins them into one object.
 */
export class S3FileStore implements FileStore {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(private readonly location: S3Location) {
    this.bucket = location.bucket;
    this.client = new S3Client({
      endpoint: location.endpoint,
      region: location.region,
      forcePathStyle: location.forcePathStyle,
      ...(location.credentials && { credentials: location.credentials }),
      // Checksums only where S3 requires them: many S3-compatible servers reject the SDK's newer defaults.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** Stops the start with a clear message when the bucket can't be reached with these credentials. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = statusOf(error);
      const reason = status === 404 ? 'no such bucket' : status === 403 ? 'access denied (check the access key and secret)' : (error as Error).message || (error as Error).name;
      throw new Error(`FILES_S3_URL: bucket "${this.bucket}" at ${this.location.endpoint} can't be used: ${reason}`);
    }
  }

  async put(key: string, data: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.full(key), Body: data, ContentLength: data.length }));
  }

  async putStream(key: string, source: Readable, options: { maxBytes: number }): Promise<number> {
    let size = 0;
    // Counts while the bytes flow: the limit holds however the sender declared (or hid) the length.
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(size > options.maxBytes ? new FileTooLargeError(options.maxBytes) : null, chunk);
      },
    });
    // One PutObject when it fits in a part; otherwise a multipart upload, aborted on failure
    // (lib-storage does that), so neither a partial object nor orphaned parts stay.
    const upload = new Upload({ client: this.client, params: { Bucket: this.bucket, Key: this.full(key), Body: limit }, partSize: PUT_PART_BYTES, queueSize: PUT_QUEUE });
    // Should the bucket fail first, the stream stops too (else it would wait forever for a
    // reader) and the bucket's error is the one to tell; else the stream's own (too large,
    // client gone), not the upload's echo of it.
    let streamFailed = false;
    let bucketFailed = false;
    const streaming = pipeline(source, limit).catch((error: unknown) => {
      streamFailed = true;
      throw error;
    });
    const uploading = upload.done().catch((error: unknown) => {
      if (!streamFailed) {
        bucketFailed = true;
        limit.destroy(error as Error);
      }
      throw error;
    });
    const [streamed, uploaded] = await Promise.allSettled([streaming, uploading]);
    if (bucketFailed && uploaded.status === 'rejected') throw uploaded.reason;
    if (streamed.status === 'rejected') throw streamed.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return size;
  }

  async append(key: string, source: Readable, options: { offset: number; maxBytes: number }): Promise<number> {
    const full = this.full(key);
    let parts = await this.parts(full);
    if (parts.length === 0) {
      const whole = await this.head(full);
      // A whole file being appended to becomes its first part (S3 can't add to an object).
      if (whole !== null && whole !== options.offset) throw new FileOffsetError(whole);
      if (whole !== null) {
        if (whole > 0) {
          await this.copy(full, partKey(full, 0));
          parts = [{ key: partKey(full, 0), size: whole }];
        }
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: full }));
      }
    }
    const size = sum(parts);
    // Nothing is read then: what to do with the unread source is the caller's choice.
    if (size !== options.offset) throw new FileOffsetError(size);
    let next = parts.length;
    let added = 0;
    let held: Buffer[] = [];
    let heldBytes = 0;
    const flush = async () => {
      if (heldBytes === 0) return;
      const body = Buffer.concat(held, heldBytes);
      held = [];
      heldBytes = 0;
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: partKey(full, next), Body: body, ContentLength: body.length }));
      next++;
    };
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        const room = options.maxBytes - added;
        if (chunk.length > room) {
          // Up to the limit, and not a byte further.
          held.push(chunk.subarray(0, room));
          heldBytes += room;
          added += room;
          source.destroy();
          throw new FileTooLargeError(options.maxBytes);
        }
        held.push(chunk);
        heldBytes += chunk.length;
        added += chunk.length;
        if (heldBytes >= APPEND_PART_BYTES) await flush();
      }
    } finally {
      // What arrived stays, also when the stream failed: a dropped connection resumes after it.
      await flush();
    }
    return options.offset + added;
  }

  async size(key: string): Promise<number | null> {
    const full = this.full(key);
    const parts = await this.parts(full);
    return parts.length ? sum(parts) : this.head(full);
  }

  async move(from: string, to: string): Promise<void> {
    const source = this.full(from);
    const target = this.full(to);
    const parts = await this.parts(source);
    if (parts.length === 0) {
      await this.copy(source, target);
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: source }));
      return;
    }
    if (parts.length === 1) await this.copy(parts[0]!.key, target);
    else if (parts.slice(0, -1).every((p) => p.size >= MIN_MULTIPART_BYTES)) await this.joinInBucket(parts, target);
    else {
      // Parts too small for S3 to join: streamed through this server into one object instead.
      await new Upload({ client: this.client, params: { Bucket: this.bucket, Key: target, Body: this.readParts(parts, null) }, partSize: PUT_PART_BYTES, queueSize: PUT_QUEUE }).done();
    }
    await this.deleteAll(parts.map((p) => p.key));
  }

  async get(key: string, range?: ByteRange): Promise<{ stream: Readable; size: number } | null> {
    const full = this.full(key);
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: full, ...(range && { Range: `bytes=${range.start}-${range.end}` }) }));
      const body = answer.Body as Readable;
      const size = (answer.ContentRange ? Number(answer.ContentRange.split('/')[1]) : answer.ContentLength) ?? 0;
      // Some S3-compatible servers answer a range of an empty object with a 206 of one (absent) byte.
      if (size === 0) {
        body.destroy();
        return { stream: Readable.from([]), size };
      }
      return { stream: body, size };
    } catch (error) {
      const status = statusOf(error);
      // A range past the end (of an empty file, say) is no bytes, as on disk.
      if (status === 416) {
        const size = await this.size(key);
        return size === null ? null : { stream: Readable.from([]), size };
      }
      if (status !== 404) throw error;
    }
    // Not a whole object: perhaps a file still being appended to.
    const parts = await this.parts(full);
    if (!parts.length) return null;
    return { stream: this.readParts(parts, range ?? null), size: sum(parts) };
  }

  async delete(key: string): Promise<void> {
    const full = this.full(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: full }));
    await this.deleteUnder(`${full}~parts/`);
  }

  async deletePrefix(prefix: string): Promise<void> {
    await this.deleteUnder(`${this.full(prefix)}/`);
  }

  /** The key in the bucket: the URL's prefix, then the store's key. */
  private full(key: string): string {
    assertSafeKey(key);
    return `${this.location.keyPrefix}${key}`;
  }

  private async head(full: string): Promise<number | null> {
    try {
      return (await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: full }))).ContentLength ?? 0;
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw error;
    }
  }

  /** The part objects of a file being appended to, in order (their names sort as numbers). */
  private async parts(full: string): Promise<StoredObject[]> {
    const parts: StoredObject[] = [];
    for await (const page of this.list(`${full}~parts/`)) parts.push(...page);
    return parts;
  }

  /** Every object under a prefix, a page (up to 1,000) at a time. */
  private async *list(prefix: string): AsyncGenerator<StoredObject[]> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      yield (page.Contents ?? []).map((o) => ({ key: o.Key!, size: o.Size ?? 0 }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async deleteUnder(prefix: string): Promise<void> {
    for await (const page of this.list(prefix)) await this.deleteAll(page.map((o) => o.key));
  }

  /** Deletes up to 1,000 objects in one request (a listing page's worth). */
  private async deleteAll(keys: string[]): Promise<void> {
    if (!keys.length) return;
    const answer = await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }));
    const failed = answer.Errors ?? [];
    if (failed.length) throw new Error(`Could not delete ${failed.length} object(s) from bucket "${this.bucket}", first ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message}`);
  }

  private async copy(from: string, to: string): Promise<void> {
    await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource: copySource(this.bucket, from) }));
  }

  /** Joins parts (each but the last at least 5 MiB) into one object without the bytes leaving the bucket. */
  private async joinInBucket(parts: StoredObject[], target: string): Promise<void> {
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: target }));
    try {
      const joined = [];
      for (const [index, part] of parts.entries()) {
        const PartNumber = index + 1;
        const answer = await this.client.send(new UploadPartCopyCommand({ Bucket: this.bucket, Key: target, UploadId, PartNumber, CopySource: copySource(this.bucket, part.key) }));
        joined.push({ PartNumber, ETag: answer.CopyPartResult?.ETag });
      }
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: target, UploadId, MultipartUpload: { Parts: joined } }));
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: target, UploadId })).catch(() => undefined);
      throw error;
    }
  }

  /** The parts as one stream (or only the bytes of `range`), each part fetched when the one before is read. */
  private readParts(parts: StoredObject[], range: ByteRange | null): Readable {
    const { client, bucket } = this;
    async function* bytes() {
      let at = 0;
      for (const part of parts) {
        const first = at;
        const last = at + part.size - 1;
        at += part.size;
        const start = range ? Math.max(range.start, first) : first;
        const end = range ? Math.min(range.end, last) : last;
        if (start > end) continue;
        const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: part.key, Range: `bytes=${start - first}-${end - first}` }));
        yield* answer.Body as Readable;
      }
    }
    return Readable.from(bytes(), { objectMode: false });
  }
}

function partKey(full: string, index: number): string {
  return `${full}~parts/${String(index).padStart(8, '0')}`;
}

function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

function sum(objects: StoredObject[]): number {
  return objects.reduce((total, o) => total + o.size, 0);
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
