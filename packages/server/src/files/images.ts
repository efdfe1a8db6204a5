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
/** Refuses decompression bombs: nothing larger than this many pixels is ever decoded. */
const DECODE_LIMITS = { limitInputPixels: Limits.imageMaxPixels, failOn: 'error' } as const;
/** Attachment previews fit in this square. */
const THUMBNAIL_SIZE = 400;

/** An image hash: 32 hex digits, "a_" first when animated. */
export const IMAGE_HASH = /^(a_)?[0-9a-f]{32}$/;

/** Where square images live, by Discord's CDN folder names: user avatars, server icons, custom emoji. */
export type ImageFolder = 'avatars' | 'icons' | 'emojis';

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
  const options = { animated: true, ...DECODE_LIMITS } as const;
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

/** An image format Parley decodes, from a file's first bytes: 12 are enough. */
export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

/**
 * Which of the accepted image formats a file's first bytes announce, if any. Only such files
 * are handed to sharp at all (which would otherwise also parse SVG, TIFF, HEIF…).
 */
export function sniffImageFormat(head: Uint8Array): ImageFormat | null {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head[0] === 0x89 && ascii(1, 4) === 'PNG') return 'png';
  if (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  return null;
}

/** What an attachment image turned out to be, judged by decoding it. */
export interface AttachmentImage {
  contentType: `image/${ImageFormat}`;
  /** As displayed (EXIF orientation applied). */
  width: number;
  height: number;
  /** A WebP preview at most 400 px on its longer side; null when the image is too large to decode safely. */
  thumbnail: Buffer | null;
}

/**
 * Reads an uploaded image's size and makes its preview. Null when the file is not a readable
 * PNG, JPEG, GIF or WebP, whatever its name or declared type say. The header alone gives the
 * size of any image; the preview needs decoding, which the pixel limit guards.
 */
export async function inspectAttachmentImage(input: Buffer): Promise<AttachmentImage | null> {
  const format = sniffImageFormat(input.subarray(0, 12));
  if (!format) return null;
  let width: number;
  let height: number;
  try {
    // Headers only: no pixels are decoded, so no pixel limit is needed to read the size.
    const meta = await sharp(input, { failOn: 'error', limitInputPixels: false }).metadata();
    if (meta.format !== format) return null;
    ({ width, height } = meta.autoOrient);
  } catch {
    return null;
  }
  const thumbnail = await sharp(input, DECODE_LIMITS)
    .rotate() // honour EXIF orientation, as the size above does
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer()
    .catch(() => null);
  return { contentType: `image/${format}`, width, height, thumbnail };
}
