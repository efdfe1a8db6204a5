import { Snowflake } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../context';
import type { ByteRange } from '../../files/file-store';
import { ApiError } from '../../http/errors';
import type { AttachmentUrls } from './attachment-urls';
import { attachmentPrefix } from './attachments';
import { contentDisposition, isInlineType } from './upload-metadata';

/**
 * Nothing a download contains may run as this site: no script, no plugins, no forms, a unique
 * origin (sandbox). With nosniff and the type stored at upload, an HTML or SVG file is inert.
 */
const DOWNLOAD_CSP = "default-src 'none'; sandbox";

const Params = z.object({
  channel_id: Snowflake,
  attachment_id: Snowflake,
  /** The file name, as in the link (a wildcard: names may be longer than a path parameter). */
  '*': z.string(),
});
/** Lenient on purpose: a missing or garbled signature is "forbidden", not a form error. */
const Query = z.object({
  ex: z.string().optional(),
  is: z.string().optional(),
  hm: z.string().optional(),
  thumbnail: z.string().optional(),
});

/**
 * Serves attachments at the links messages carry (`/attachments/<channel>/<id>/<name>?ex&is&hm`,
 * see AttachmentUrls): only with a genuine, unexpired signature, with the type stored at upload,
 * inline only for media types browsers merely display, and single byte ranges for seeking in
 * audio and video. `?thumbnail=1` serves an image's preview.
 */
export function attachmentDownloadRoutes(app: FastifyInstance, ctx: AppContext, urls: AttachmentUrls): void {
  // Files go as stored (never compressed on the way): their length is known for progress bars and byte ranges refer to the file itself.
  app.get('/attachments/:channel_id/:attachment_id/*', { schema: { params: Params, querystring: Query, hide: true }, compress: false }, async (request, reply) => {
    const { channel_id, attachment_id, '*': filename } = request.params as z.output<typeof Params>;
    const query = request.query as z.output<typeof Query>;
    // The signature first: without one, nothing (not even whether the file exists) is revealed.
    if (!(await urls.verify(channel_id, attachment_id, query))) {
      throw new ApiError('MISSING_ACCESS', { message: 'This download link is invalid or has expired; reload the message for a new one.' });
    }
    const thumbnail = query.thumbnail === '1';
    const row = await ctx.db.selectFrom('attachments').selectAll().where('id', '=', attachment_id).where('channel_id', '=', channel_id).executeTakeFirst();
    if (!row || row.filename !== filename || (thumbnail && row.has_thumbnail !== 1)) throw new ApiError('UNKNOWN_ROUTE');

    const key = `${attachmentPrefix(channel_id, attachment_id)}/${thumbnail ? 'thumb.webp' : 'file'}`;
    const size = thumbnail ? null : row.size;
    const range = size === null ? null : parseRange(request.headers.range, size);
    if (range === 'unsatisfiable') {
      return reply.status(416).header('content-range', `bytes */${size}`).send();
    }
    const stored = await ctx.files.get(key, range ?? undefined);
    if (!stored) throw new ApiError('UNKNOWN_ROUTE');

    const contentType = thumbnail ? 'image/webp' : row.content_type;
    reply
      .header('content-type', contentType)
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', DOWNLOAD_CSP)
      .header('content-disposition', contentDisposition(isInlineType(contentType) ? 'inline' : 'attachment', row.filename))
      // The link changes at the latest when it expires; the file behind an ID never does.
      .header('cache-control', 'private, max-age=86400, immutable')
      .header('accept-ranges', 'bytes');
    if (range) {
      reply
        .status(206)
        .header('content-range', `bytes ${range.start}-${range.end}/${stored.size}`)
        .header('content-length', range.end - range.start + 1);
    } else {
      reply.header('content-length', stored.size);
    }
    return reply.send(stored.stream);
  });
}

/**
 * One `Range: bytes=…` range (start-end, start-, or -suffix) within a file of `size` bytes.
 * Null: no range asked, or one this server answers with the whole file (several ranges, other
 * units, syntax it does not know), which HTTP allows.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | null {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return null;
  const [, from, to] = match as unknown as [string, string, string];
  if (from === '') {
    const suffix = Number(to);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  if (to !== '' && Number(to) < start) return null; // not a valid range at all: ignored
  if (start >= size) return 'unsatisfiable';
  return { start, end: to === '' ? size - 1 : Math.min(Number(to), size - 1) };
}
