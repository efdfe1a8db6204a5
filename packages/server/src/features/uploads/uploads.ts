import type { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { type CreateMessageBody, Permissions, type Snowflake, UploadLimits, isSealedFileSize } from '@parley/protocol';
import type { z } from 'zod';
import { type ChannelAccess, channelAccess, requireContentPermission } from '../../access/access';
import { isEncryptedConversation } from '../../access/e2ee';
import type { AppContext } from '../../context';
import type { UploadsTable } from '../../db/tables';
import { FileOffsetError, FileTooLargeError } from '../../files/file-store';
import { inspectAttachmentImage, sniffImageFormat } from '../../files/images';
import { ApiError } from '../../http/errors';
import { uploadMaxBytes } from '../instance/settings';
import { attachmentPrefix } from '../messages/attachments';
import type { StoredUpload } from '../messages/send';
import { declaredContentType, sanitizeFilename } from '../messages/upload-metadata';

export type UploadRow = UploadsTable;

/** Images are measured and previewed only up to this size, as files sent with a message (messages/attachments.ts). */
const IMAGE_INSPECT_MAX_BYTES = 32 * 1024 * 1024;
/** A sent upload's row outlives the send by the nonce window, so a retried send still finds it. */
const SENT_ROW_KEEP_MS = 10 * 60_000;
/** At most this many expired uploads are deleted per sweep: a sweep is bounded work. */
const SWEEP_BATCH = 200;

/** Where an upload's bytes gather until it is finished; then they move to `/file` beside it. */
function partKey(row: Pick<UploadRow, 'channel_id' | 'id'>): string {
  return `${attachmentPrefix(row.channel_id, row.id)}/upload.part`;
}

function fileKey(row: Pick<UploadRow, 'channel_id' | 'id'>): string {
  return `${attachmentPrefix(row.channel_id, row.id)}/file`;
}

/** "25 MiB", "512 KiB", "1000 bytes": limits as people read them. */
function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** The instance's per-file limit, as admins set it. */
async function currentMaxBytes(ctx: AppContext): Promise<number> {
  return uploadMaxBytes(await ctx.settings.cached(), ctx.config.attachmentMaxBytes);
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError('ATTACHMENT_TOO_LARGE', { message: `Files may be at most ${formatBytes(maxBytes)}` });
}

/**
 * Resumable uploads (tus 1.0, docs/uploads.md): an upload belongs to the person who created it
 * and the channel it was created for; its bytes arrive in any number of appends, each at the
 * offset where the last one stopped; when the last byte is in, it becomes a file waiting to
 * be sent (measured and previewed like an image sent with a message), and a message names it
 * to make it an attachment. What nobody finishes or sends expires.
 */
export class Uploads {
  /** Appends under way on this node, by upload: a new one for the same upload ends the old one first. */
  private readonly appending = new Map<Snowflake, { stop: () => void; done: Promise<unknown> }>();

  constructor(private readonly ctx: AppContext) {}

  /** The instance's per-file limit now: tus's Tus-Max-Size. */
  maxBytes(): Promise<number> {
    return currentMaxBytes(this.ctx);
  }

  /**
   * Creates an upload of `length` bytes for the channel, if its creator may attach files there,
   * the file is within the instance's limit (and, in an encrypted conversation, has the size of
   * a sealed file) and they are within their own limits of unfinished uploads.
   */
  async create(userId: Snowflake, channelId: Snowflake, input: { length: number; filename: string; contentType: string }): Promise<UploadRow> {
    const { ctx } = this;
    const access = await channelAccess(ctx.db, channelId, userId, ctx.clock.now());
    requireContentPermission(access, Permissions.ATTACH_FILES);
    const maxBytes = await currentMaxBytes(ctx);
    if (input.length > maxBytes) throw tooLarge(maxBytes);
    // An encrypted conversation's files are ciphertext: nothing of what the client called them is kept.
    const sealed = isEncryptedConversation(access);
    if (sealed && !isSealedFileSize(input.length)) throw new ApiError('PLAINTEXT_REFUSED', { message: 'Files in an end-to-end encrypted conversation must be sealed on your device first.' });
    const held = await ctx.db
      .selectFrom('uploads')
      .select((eb) => [eb.fn.countAll<number>().as('count'), eb.fn.sum<number>('upload_length').as('bytes')])
      .where('user_id', '=', userId)
      .where('message_id', 'is', null)
      .executeTakeFirstOrThrow();
    if (Number(held.count) >= UploadLimits.maxUnfinished) throw new ApiError('MAX_UPLOADS', { message: `You have ${UploadLimits.maxUnfinished} uploads not sent yet: finish or cancel some first.` });
    if (Number(held.bytes ?? 0) + input.length > maxBytes * UploadLimits.unfinishedBytesFactor) {
      throw new ApiError('MAX_UPLOADS', { message: `Your unsent uploads would go past ${formatBytes(maxBytes * UploadLimits.unfinishedBytesFactor)}: finish or cancel some first.` });
    }
    const now = ctx.clock.now();
    const row: UploadRow = {
      id: ctx.ids.next(),
      user_id: userId,
      channel_id: channelId,
      filename: sealed ? 'encrypted.bin' : sanitizeFilename(input.filename),
      content_type: sealed ? 'application/octet-stream' : declaredContentType(input.contentType),
      upload_length: input.length,
      received: 0,
      sealed: sealed ? 1 : 0,
      width: null,
      height: null,
      has_thumbnail: 0,
      created_at: now,
      expires_at: now + UploadLimits.idleExpiryMs,
      completed_at: null,
      message_id: null,
    };
    await ctx.db.insertInto('uploads').values(row).execute();
    return row;
  }

  /** One of this person's uploads in this channel not sent yet, or 404 (someone else's included: they are not told it exists). */
  async find(userId: Snowflake, channelId: Snowflake, uploadId: Snowflake): Promise<UploadRow> {
    const row = await this.ctx.db
      .selectFrom('uploads')
      .selectAll()
      .where('id', '=', uploadId)
      .where('user_id', '=', userId)
      .where('channel_id', '=', channelId)
      .where('message_id', 'is', null)
      .where('expires_at', '>', this.ctx.clock.now())
      .executeTakeFirst();
    if (!row) throw new ApiError('UNKNOWN_UPLOAD');
    return row;
  }

  /**
   * Appends the bytes of `source` at `offset`, which must be where the upload stands. What
   * arrives is stored as it arrives and kept if the connection drops (the next HEAD tells how
   * far it got); nothing past the declared length is taken. An append to an upload that is
   * still receiving on this node (its client gave up on a stalled connection) ends that one first.
   * Returns the upload as it stands after.
   */
  async append(userId: Snowflake, channelId: Snowflake, uploadId: Snowflake, offset: number, declaredBytes: number | null, source: Readable, stop: () => void): Promise<UploadRow> {
    const previous = this.appending.get(uploadId);
    if (previous) {
      previous.stop();
      await previous.done.catch(() => undefined);
    }
    const work = this.appendNow(userId, channelId, uploadId, offset, declaredBytes, source);
    const entry = { stop, done: work };
    this.appending.set(uploadId, entry);
    try {
      return await work;
    } finally {
      if (this.appending.get(uploadId) === entry) this.appending.delete(uploadId);
    }
  }

  private async appendNow(userId: Snowflake, channelId: Snowflake, uploadId: Snowflake, offset: number, declaredBytes: number | null, source: Readable): Promise<UploadRow> {
    const { ctx } = this;
    // A refusal leaves the body unread: the route closes the connection rather than drain it.
    let row = await this.find(userId, channelId, uploadId);
    if (offset !== row.received) throw new ApiError('UPLOAD_OFFSET_MISMATCH', { message: `The upload stands at ${row.received} bytes, not ${offset}: continue from there.` });
    const remaining = row.upload_length - row.received;
    // Refused before a byte is read: more than the declared length, or than the instance now accepts.
    if (declaredBytes !== null && declaredBytes > remaining) {
      throw new ApiError('PAYLOAD_TOO_LARGE', { message: `This upload is ${row.upload_length} bytes long: ${declaredBytes} more bytes at ${offset} would go past its end.` });
    }
    const maxBytes = await currentMaxBytes(ctx);
    if (row.upload_length > maxBytes) throw tooLarge(maxBytes);
    let failure: unknown = null;
    try {
      await ctx.files.append(partKey(row), source, { offset, maxBytes: remaining });
    } catch (error) {
      failure = error;
    }
    // The store is the truth about what arrived (all of it, part of it, or nothing).
    const received = (await ctx.files.size(partKey(row))) ?? 0;
    const now = ctx.clock.now();
    row = { ...row, received, expires_at: now + UploadLimits.idleExpiryMs };
    await ctx.db.updateTable('uploads').set({ received, expires_at: row.expires_at }).where('id', '=', row.id).execute();
    if (received === row.upload_length) row = await this.finish(row);
    if (failure instanceof FileTooLargeError) throw new ApiError('PAYLOAD_TOO_LARGE', { message: `This upload is ${row.upload_length} bytes long: nothing past its end is taken.` });
    if (failure instanceof FileOffsetError) throw new ApiError('UPLOAD_OFFSET_MISMATCH');
    if (failure) throw failure;
    return row;
  }

  /** The last byte is in: the file takes its place as an attachment-to-be, measured if it is an image. */
  private async finish(row: UploadRow): Promise<UploadRow> {
    const { files } = this.ctx;
    await files.move(partKey(row), fileKey(row));
    const image = !row.sealed && row.upload_length <= IMAGE_INSPECT_MAX_BYTES ? await this.inspectImage(fileKey(row)) : null;
    if (image?.thumbnail) await files.put(`${attachmentPrefix(row.channel_id, row.id)}/thumb.webp`, image.thumbnail);
    const finished: UploadRow = {
      ...row,
      completed_at: this.ctx.clock.now(),
      content_type: image?.contentType ?? row.content_type,
      width: image?.width ?? null,
      height: image?.height ?? null,
      has_thumbnail: image?.thumbnail ? 1 : 0,
    };
    // An image's type is decided by decoding it; a declared image type that decoding did not confirm is not kept.
    if (!image && /^image\//.test(finished.content_type)) finished.content_type = 'application/octet-stream';
    const { completed_at, content_type, width, height, has_thumbnail } = finished;
    await this.ctx.db.updateTable('uploads').set({ completed_at, content_type, width, height, has_thumbnail }).where('id', '=', row.id).execute();
    return finished;
  }

  /** Reads the stored file back only when its first bytes announce an image. */
  private async inspectImage(key: string) {
    const head = await this.ctx.files.get(key, { start: 0, end: 11 });
    if (!head || !sniffImageFormat(await buffer(head.stream))) return null;
    const whole = await this.ctx.files.get(key);
    return whole ? inspectAttachmentImage(await buffer(whole.stream)) : null;
  }

  /** Cancels an upload (tus termination): its row and whatever it received go. */
  async remove(userId: Snowflake, channelId: Snowflake, uploadId: Snowflake): Promise<void> {
    const row = await this.find(userId, channelId, uploadId);
    this.appending.get(uploadId)?.stop();
    await this.ctx.db.deleteFrom('uploads').where('id', '=', row.id).where('message_id', 'is', null).execute();
    await this.ctx.files.deletePrefix(attachmentPrefix(row.channel_id, row.id));
  }

  /**
   * Deletes uploads that expired unfinished or unsent (their files too), and forgets sent ones
   * after the nonce window (their files are attachments now). At most SWEEP_BATCH of each per call.
   */
  async sweep(): Promise<number> {
    const { db, clock, files } = this.ctx;
    const now = clock.now();
    const expired = await db.selectFrom('uploads').select(['id', 'channel_id']).where('message_id', 'is', null).where('expires_at', '<=', now).orderBy('expires_at').limit(SWEEP_BATCH).execute();
    for (const row of expired) {
      this.appending.get(row.id)?.stop();
      await db.deleteFrom('uploads').where('id', '=', row.id).where('message_id', 'is', null).execute();
      await files.deletePrefix(attachmentPrefix(row.channel_id, row.id));
    }
    const sent = await db
      .selectFrom('uploads')
      .select('id')
      .where('message_id', 'is not', null)
      .where('completed_at', '<=', now - SENT_ROW_KEEP_MS)
      .limit(SWEEP_BATCH)
      .execute();
    if (sent.length)
      await db
        .deleteFrom('uploads')
        .where(
          'id',
          'in',
          sent.map((r) => r.id),
        )
        .execute();
    return expired.length;
  }
}

/**
 * The finished uploads a message send names (`attachments: [{ upload_id }]`), as files stored
 * for the message to carry. Each must be the sender's, for this channel, finished and not sent
 * with another message; one already sent with the message this send repeats (same nonce, with
 * enforce_nonce) is left out, so the repeat is answered with that message as usual.
 */
export async function claimUploads(ctx: AppContext, access: ChannelAccess, userId: Snowflake, body: z.output<typeof CreateMessageBody>): Promise<StoredUpload[]> {
  const refs = body.attachments ?? [];
  if (!refs.length) return [];
  const ids = [...new Set(refs.map((r) => r.upload_id))];
  const rows = await ctx.db.selectFrom('uploads').selectAll().where('id', 'in', ids).where('user_id', '=', userId).where('channel_id', '=', access.channel.id).execute();
  const claimed: StoredUpload[] = [];
  for (const id of ids) {
    const row = rows.find((r) => r.id === id);
    if (!row) throw new ApiError('UNKNOWN_UPLOAD');
    if (row.message_id !== null) {
      if (await sentWithNonce(ctx, row.message_id, userId, body)) continue;
      throw new ApiError('UNKNOWN_UPLOAD', { message: 'This upload was already sent with another message.' });
    }
    if (row.completed_at === null) throw new ApiError('UPLOAD_INCOMPLETE');
    if (row.expires_at <= ctx.clock.now()) throw new ApiError('UNKNOWN_UPLOAD');
    // The conversation turned encrypted after the upload began: a file in the clear may not go there.
    if (!row.sealed && isEncryptedConversation(access)) throw new ApiError('PLAINTEXT_REFUSED', { message: 'Files in an end-to-end encrypted conversation must be sealed on your device first.' });
    claimed.push({
      id: row.id,
      channelId: row.channel_id,
      filename: row.filename,
      contentType: row.content_type,
      size: row.upload_length,
      width: row.width,
      height: row.height,
      hasThumbnail: row.has_thumbnail === 1,
      keep: true,
    });
  }
  return claimed;
}

/** Whether the message an upload went with is the one this send repeats (its nonce, with enforce_nonce). */
async function sentWithNonce(ctx: AppContext, messageId: Snowflake, userId: Snowflake, body: z.output<typeof CreateMessageBody>): Promise<boolean> {
  if (!body.enforce_nonce || body.nonce === undefined) return false;
  const row = await ctx.db
    .selectFrom('message_nonces')
    .select('message_id')
    .where('message_id', '=', messageId)
    .where('author_id', '=', userId)
    .where('nonce', '=', String(body.nonce))
    .executeTakeFirst();
  return Boolean(row);
}
