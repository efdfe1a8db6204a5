import { API_PREFIX, type Snowflake, TUS_CONTENT_TYPE, TUS_EXTENSIONS, TUS_VERSION, type UploadCreated, decodeUploadMetadata, uploadPath, uploadsPath } from '@parley/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context';
import { ApiError } from '../../http/errors';
import { type Auth, mustConfirmEmail } from '../../http/routes';
import { type UploadRow, Uploads } from './uploads';

declare module 'fastify' {
  interface FastifyInstance {
    /** Deletes expired uploads now (the sweep that runs every few minutes; tests call it instead of waiting). */
    sweepUploads: () => Promise<number>;
  }
}

/** How often expired uploads are looked for. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

const SNOWFLAKE = /^\d{1,20}$/;

interface ChannelParams {
  channel_id: string;
}
interface UploadParams extends ChannelParams {
  upload_id: string;
}

/** A header that must be a whole number of bytes: null when absent, 400 when malformed. */
function byteCount(request: FastifyRequest, name: string): number | null {
  const raw = request.headers[name];
  if (raw === undefined) return null;
  const value = Array.isArray(raw) ? raw.join(',') : raw;
  if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) throw new ApiError('BAD_REQUEST', { message: `${name} must be a whole number of bytes` });
  return Number(value);
}

function required(request: FastifyRequest, name: string): number {
  const value = byteCount(request, name);
  if (value === null) throw new ApiError('BAD_REQUEST', { message: `The ${name} header is required` });
  return value;
}

/** tus requires every request but OPTIONS to say which version of the protocol it speaks. */
function requireTusVersion(request: FastifyRequest, reply: FastifyReply): void {
  if (request.headers['tus-resumable'] !== TUS_VERSION) {
    reply.header('tus-version', TUS_VERSION);
    throw new ApiError('TUS_VERSION_UNSUPPORTED');
  }
}

function ids(params: Partial<UploadParams>): { channelId: Snowflake; uploadId: Snowflake } {
  if (!SNOWFLAKE.test(params.channel_id ?? '')) throw new ApiError('UNKNOWN_CHANNEL');
  if (params.upload_id !== undefined && !SNOWFLAKE.test(params.upload_id)) throw new ApiError('UNKNOWN_UPLOAD');
  return { channelId: params.channel_id as Snowflake, uploadId: (params.upload_id ?? '') as Snowflake };
}

/** The headers every answer about an upload carries: where it stands and until when it is kept. */
function describe(reply: FastifyReply, row: UploadRow): void {
  reply.header('upload-offset', String(row.received));
  reply.header('upload-length', String(row.upload_length));
  reply.header('upload-expires', new Date(row.expires_at).toUTCString());
  reply.header('cache-control', 'no-store');
}

/**
 * How the tus routes appear in the OpenAPI document (http/openapi.ts): described only, since
 * they read their headers themselves (tus's own errors and rules) rather than through a schema.
 */
function documented(method: string, summary: string, headers: string[]) {
  return {
    schema: {
      tags: ['uploads'],
      summary,
      description: `tus 1.0 (docs/uploads.md). Headers: ${['Tus-Resumable: 1.0.0', ...headers].join('; ')}.`,
      ...(method !== 'OPTIONS' && { security: [{ token: [] }] }),
    },
    // @fastify/swagger leaves HEAD routes out (Fastify adds one to every GET); this one is tus's own.
    ...(method === 'HEAD' && { config: { swagger: { exposeHeadRoute: true } } }),
  };
}

/**
 * Resumable uploads, the tus 1.0 core protocol with its creation, termination and expiration
 * extensions (docs/uploads.md): POST creates an upload for a channel, HEAD tells its offset,
 * PATCH appends at that offset (streamed to the file store, never held in memory), DELETE
 * cancels. A message then names the finished upload in its `attachments`.
 */
export function uploadRoutes(app: FastifyInstance, ctx: AppContext): void {
  const uploads = new Uploads(ctx);
  app.decorate('sweepUploads', () => uploads.sweep());
  const sweeper = setInterval(() => {
    uploads.sweep().catch((error: unknown) => app.log.error({ err: error }, 'Sweeping expired uploads failed'));
  }, SWEEP_INTERVAL_MS);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));

  /** Who is calling: the same checks as any signed-in route (http/routes.ts). */
  async function caller(request: FastifyRequest): Promise<Auth> {
    const auth = await ctx.sessions.authenticate(request.headers.authorization);
    if (auth.user.password_change_required) throw new ApiError('PASSWORD_CHANGE_REQUIRED');
    if (await mustConfirmEmail(ctx, auth.user)) throw new ApiError('EMAIL_VERIFICATION_REQUIRED');
    return auth;
  }

  // Its own scope: the tus body type is taken (as a stream, unread) by these routes only.
  void app.register(async (scope) => {
    scope.addContentTypeParser(TUS_CONTENT_TYPE, (_request, _payload, done) => done(null));
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.header('tus-resumable', TUS_VERSION);
      return payload;
    });
    const base = API_PREFIX + uploadsPath(':channel_id');
    const one = API_PREFIX + uploadPath(':channel_id', ':upload_id');

    // Discovery: what this server speaks and the largest file it takes now.
    scope.options(base, documented('OPTIONS', 'What this server speaks of tus, and the largest file it takes now', []), async (_request, reply) => {
      reply.header('tus-version', TUS_VERSION);
      reply.header('tus-extension', TUS_EXTENSIONS.join(','));
      reply.header('tus-max-size', String(await uploads.maxBytes()));
      return reply.status(204).send();
    });

    scope.post<{ Params: ChannelParams }>(
      base,
      documented('POST', 'Start a resumable upload of a file for this channel', ['Upload-Length (required)', 'Upload-Metadata: filename and filetype, base64']),
      async (request, reply) => {
        requireTusVersion(request, reply);
        const auth = await caller(request);
        const { channelId } = ids(request.params);
        if (request.headers['upload-defer-length'] !== undefined) throw new ApiError('BAD_REQUEST', { message: 'Upload-Defer-Length is not supported: send Upload-Length' });
        const length = required(request, 'upload-length');
        if (length === 0) throw new ApiError('BAD_REQUEST', { message: 'Empty files cannot be uploaded' });
        const metadata = decodeUploadMetadata(String(request.headers['upload-metadata'] ?? ''));
        if (!metadata) throw new ApiError('BAD_REQUEST', { message: 'Upload-Metadata must be comma-separated "key base64value" pairs' });
        const row = await uploads.create(auth.user.id, channelId, { length, filename: metadata.filename ?? 'file', contentType: metadata.filetype ?? '' });
        const url = API_PREFIX + uploadPath(channelId, row.id);
        describe(reply, row);
        reply.header('location', url);
        const body: UploadCreated = { id: row.id, url };
        return reply.status(201).send(body);
      },
    );

    scope.head<{ Params: UploadParams }>(one, documented('HEAD', 'How many bytes of an upload the server has (Upload-Offset)', []), async (request, reply) => {
      requireTusVersion(request, reply);
      const auth = await caller(request);
      const { channelId, uploadId } = ids(request.params);
      describe(reply, await uploads.find(auth.user.id, channelId, uploadId));
      return reply.status(200).send();
    });

    scope.patch<{ Params: UploadParams }>(
      one,
      documented('PATCH', 'Append bytes to an upload at its offset (HEAD on the same URL tells the offset)', [`Content-Type: ${TUS_CONTENT_TYPE}`, 'Upload-Offset (required)']),
      async (request, reply) => {
        try {
          requireTusVersion(request, reply);
          const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
          if (type !== TUS_CONTENT_TYPE) throw new ApiError('UNSUPPORTED_MEDIA_TYPE', { message: `Send the bytes as ${TUS_CONTENT_TYPE}` });
          const auth = await caller(request);
          const { channelId, uploadId } = ids(request.params);
          const offset = required(request, 'upload-offset');
          const declared = byteCount(request, 'content-length');
          const row = await uploads.append(auth.user.id, channelId, uploadId, offset, declared, request.raw, () => request.raw.destroy());
          describe(reply, row);
          return await reply.status(204).send();
        } catch (error) {
          // Refused or cut off midway: whatever the client still sends is unwanted, so close rather than drain it.
          if (!request.raw.readableEnded) reply.header('connection', 'close');
          throw error;
        }
      },
    );

    scope.delete<{ Params: UploadParams }>(one, documented('DELETE', 'Cancel an upload: it and what it received go', []), async (request, reply) => {
      requireTusVersion(request, reply);
      const auth = await caller(request);
      const { channelId, uploadId } = ids(request.params);
      await uploads.remove(auth.user.id, channelId, uploadId);
      return reply.status(204).send();
    });
  });
}
