import { buffer } from 'node:stream/consumers';
import { Permissions, type Snowflake, isSealedFileSize, type routes } from '@parley/protocol';
import type { AppContext } from '../../context';
import { FileTooLargeError } from '../../files/file-store';
import { inspectAttachmentImage, sniffImageFormat } from '../../files/images';
import { ApiError } from '../../http/errors';
import type { IncomingFile } from '../../http/multipart';
import type { Auth, RouteFileReceiver } from '../../http/routes';
import { requireContentPermission } from '../../access/access';
import { isEncryptedConversation } from '../../access/e2ee';
import type { StoredUpload } from './send';
import { declaredContentType, sanitizeFilename } from './upload-metadata';
import { uploadMaxBytes } from '../instance/settings';

/**
 * Images are measured and previewed only up to this size: decoding reads the whole file into
 * memory. Larger ones (possible when an operator raises ATTACHMENT_MAX_BYTES) stay plain files.
 */
const IMAGE_INSPECT_MAX_BYTES = 32 * 1024 * 1024;

/** Where an attachment's files live: the original (`/file`) and, for images, `/thumb.webp`. */
export function attachmentPrefix(channelId: Snowflake, attachmentId: Snowflake): string {
  return `attachments/${channelId}/${attachmentId}`;
}

/** "25 MiB", "512 KiB", "1000 bytes": limits as people read them. */
function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * Receives the files sent with a message (multipart, Discord style): each streams into the
 * file store under a new attachment ID, cut off past the upload limit (uploadMaxBytes); images (judged by
 * their content) get their size and a WebP thumbnail. Nothing is read unless the sender may
 * attach files in the channel.
 */
export class AttachmentReceiver implements RouteFileReceiver<typeof routes.messages.create, StoredUpload> {
  constructor(private readonly ctx: AppContext) {}

  async open({ params, auth }: { params: { channel_id: Snowflake }; auth: Auth | null }) {
    if (!auth) throw new ApiError('UNAUTHORIZED');
    // The rows cached per node, as the send route itself reads them (access/cached.ts).
    const access = await this.ctx.access.channelAccess(this.ctx.db, params.channel_id, auth.user.id);
    requireContentPermission(access, Permissions.ATTACH_FILES);
    // An encrypted conversation's files are ciphertext: nothing of what the client called them is kept.
    const sealed = isEncryptedConversation(access);
    return (file: IncomingFile) => this.store(params.channel_id, sealed ? { ...file, filename: 'encrypted.bin', contentType: 'application/octet-stream' } : file, { sealed });
  }

  async discard(uploads: readonly StoredUpload[]): Promise<void> {
    await Promise.all(uploads.map((u) => this.ctx.files.deletePrefix(attachmentPrefix(u.channelId, u.id))));
  }

  private async store(channelId: Snowflake, file: IncomingFile, options: { sealed: boolean }): Promise<StoredUpload> {
    const { files, config } = this.ctx;
    // The admins' setting (kept per node until changed on any: features/instance/settings.ts).
    const maxBytes = uploadMaxBytes(await this.ctx.settings.cached(), config.attachmentMaxBytes);
    const id = this.ctx.ids.next();
    const prefix = attachmentPrefix(channelId, id);
    try {
      const size = await files.putStream(`${prefix}/file`, file.stream, { maxBytes }).catch((error: unknown) => {
        if (error instanceof FileTooLargeError) throw new ApiError('ATTACHMENT_TOO_LARGE', { message: `Files may be at most ${formatBytes(error.maxBytes)}` });
        throw error;
      });
      // What the server can check of a file it cannot read: that it has the size of one sealed on a device.
      if (options.sealed && !isSealedFileSize(size)) throw new ApiError('PLAINTEXT_REFUSED', { message: 'Files in an end-to-end encrypted conversation must be sealed on your device first.' });
      const image = !options.sealed && size <= IMAGE_INSPECT_MAX_BYTES ? await this.inspectImage(`${prefix}/file`) : null;
      if (image?.thumbnail) await files.put(`${prefix}/thumb.webp`, image.thumbnail);
      return {
        id,
        channelId,
        filename: sanitizeFilename(file.filename),
        contentType: image?.contentType ?? declaredContentType(file.contentType),
        size,
        width: image?.width ?? null,
        height: image?.height ?? null,
        hasThumbnail: Boolean(image?.thumbnail),
      };
    } catch (error) {
      await files.deletePrefix(prefix);
      throw error;
    }
  }

  /** Reads the stored file back only when its first bytes announce an image. */
  private async inspectImage(key: string) {
    const head = await this.ctx.files.get(key, { start: 0, end: 11 });
    if (!head || !sniffImageFormat(await buffer(head.stream))) return null;
    const whole = await this.ctx.files.get(key);
    return whole ? inspectAttachmentImage(await buffer(whole.stream)) : null;
  }
}
