import { createHash } from 'node:crypto';
import { Limits, type Snowflake } from '@parley/protocol';
import sharp from 'sharp';
import { ApiError } from '../http/errors';
import type { FileStore } from './file-store';

/** Avatars and server icons are stored square at this size; clients scale down. */
const SQUARE_SIZE = 256;
/** Each frame is resized and re-encoded: a cap keeps one upload from costing minutes of CPU. */
const MAX_FRAMES = 100;
const ACCEPTED_FORMATS = new Set(['png', 'jpeg', 'webp', 'gif']);

/** An image hash: 32 hex digits, "a_" first when animated. */
export const IMAGE_HASH = /^(a_)?[0-9a-f]{32}$/;

/** Where square images live, by Discord's CDN folder names: user avatars and server icons. */
export type ImageFolder = 'avatars' | 'icons';

export function imageKey(folder: ImageFolder, ownerId: Snowflake, hash: string): string {
  return `${folder}/${ownerId}/${hash}.webp`;
}

/**
 * Decodes an uploaded image, refuses anything but PNG/JPEG/WebP/GIF (by content, never by the
 * name or declared type), and re-encodes it as a 256×256 WebP, which also drops metadata such
 * as GPS tags and neutralises crafted files. Animated GIF/WebP stay animated ("a_" hash).
 * Returns the new image hash.
 */
export async function storeSquareImage(files: FileStore, folder: ImageFolder, ownerId: Snowflake, input: Uint8Array): Promise<string> {
  if (input.length > Limits.avatarMaxBytes) throw new ApiError('PAYLOAD_TOO_LARGE', { message: 'Images must be at most 5 MiB' });
  const options = { animated: true, limitInputPixels: Limits.imageMaxPixels, failOn: 'error' } as const;
  let animated: boolean;
  try {
    const meta = await sharp(input, options).metadata();
    if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) throw new ApiError('INVALID_IMAGE');
    animated = (meta.pages ?? 1) > 1;
    if ((meta.pages ?? 1) > MAX_FRAMES) throw new ApiError('INVALID_IMAGE', { message: `Animated images may have at most ${MAX_FRAMES} frames` });
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError('INVALID_IMAGE', { message: 'The file is not a readable PNG, JPEG, WebP or GIF image' });
  }
  const output = await sharp(input, options)
    .rotate() // honour EXIF orientation before the metadata is dropped
    .resize(SQUARE_SIZE, SQUARE_SIZE, { fit: 'cover' })
    .webp({ quality: 85 })
    .toBuffer()
    .catch(() => {
      throw new ApiError('INVALID_IMAGE', { message: 'The image could not be decoded' });
    });
  const hash = (animated ? 'a_' : '') + createHash('sha256').update(output).digest('hex').slice(0, 32);
  await files.put(imageKey(folder, ownerId, hash), output);
  return hash;
}

/** Decodes `data:image/…;base64,…` (Discord's way of sending images in JSON) into bytes. */
export function decodeDataUri(dataUri: string): Buffer {
  return Buffer.from(dataUri.slice(dataUri.indexOf(',') + 1), 'base64');
}
