import { Snowflake } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../http/errors';
import type { FileStore } from './file-store';
import { IMAGE_HASH, imageKey } from './images';

/**
 * Serves stored images under Discord's CDN layout, so bot libraries build working URLs
 * (discord.js: `rest.cdn = <base>/cdn`). Images are stored as WebP; any of the usual
 * extensions is answered with it. Hash-addressed, so cached for a year.
 */
export function cdnRoutes(app: FastifyInstance, files: FileStore): void {
  const Params = z.object({
    folder: z.enum(['avatars', 'icons', 'emojis']),
    owner_id: Snowflake,
    file: z
      .string()
      .regex(/^[a-z0-9_]{32,34}\.(webp|png|jpg|jpeg|gif)$/)
      .refine((file) => IMAGE_HASH.test(file.split('.')[0]!)),
  });
  app.get('/cdn/:folder/:owner_id/:file', { schema: { params: Params, hide: true } }, async (request, reply) => {
    const { folder, owner_id, file } = request.params as z.output<typeof Params>;
    const stored = await files.get(imageKey(folder, owner_id, file.split('.')[0]!));
    if (!stored) throw new ApiError('UNKNOWN_ROUTE');
    return reply.header('content-type', 'image/webp').header('content-length', stored.size).header('cache-control', 'public, max-age=31536000, immutable').send(stored.stream);
  });
}
