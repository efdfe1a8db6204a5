import { z } from 'zod';
import { Snowflake } from './ids';
import { Limits } from './limits';

/**
 * Resumable uploads (docs/uploads.md): the tus 1.0 core protocol with its creation and
 * termination extensions, under `/channels/{channel_id}/uploads`. A finished upload is then
 * named in a message's `attachments` (`{ id, upload_id }`), like Discord's `uploaded_filename`.
 */
export const TUS_VERSION = '1.0.0';
/** The tus extensions the server implements (announced in `Tus-Extension`). */
export const TUS_EXTENSIONS = ['creation', 'termination', 'expiration'] as const;
/** The body type of a PATCH that appends bytes (tus). */
export const TUS_CONTENT_TYPE = 'application/offset+octet-stream';

/** The path (after the API prefix) where a channel's uploads are created. */
export function uploadsPath(channelId: string): string {
  return `/channels/${channelId}/uploads`;
}

/** The path (after the API prefix) of one upload: HEAD, PATCH and DELETE it. */
export function uploadPath(channelId: string, uploadId: string): string {
  return `/channels/${channelId}/uploads/${uploadId}`;
}

/** Per-person limits on uploads that have not finished (or finished but were not sent yet). */
export const UploadLimits = {
  /** Unfinished uploads a person may hold at once. */
  maxUnfinished: 20,
  /** Their declared sizes together, as a multiple of the per-file limit (a full message's worth). */
  unfinishedBytesFactor: Limits.attachmentsPerMessage,
  /** An upload nobody touched for this long is deleted with what it received. */
  idleExpiryMs: 24 * 60 * 60_000,
} as const;

/** The JSON body of a created upload (its `Location` header says the same). */
export const UploadCreated = z.object({ id: Snowflake, url: z.string() });
export type UploadCreated = z.infer<typeof UploadCreated>;

/** A finished upload named in a message send: `id` is the client's own index, as Discord's. */
export const UploadedAttachment = z.object({
  id: z.union([z.number().int().min(0).max(1000), Snowflake]).optional(),
  upload_id: Snowflake,
});
export type UploadedAttachment = z.infer<typeof UploadedAttachment>;

/** Base64 of UTF-8 text, without Buffer (the SDK runs in browsers too). */
function toBase64(value: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(value: string): string | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) return null;
  try {
    const binary = atob(value);
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** The `Upload-Metadata` header: `key base64(value)` pairs separated by commas (tus creation). */
export function encodeUploadMetadata(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key} ${toBase64(value)}`)
    .join(',');
}

/** Reads an `Upload-Metadata` header, or null when it is malformed (bad key, bad base64, bad UTF-8, a key twice). */
export function decodeUploadMetadata(header: string): Record<string, string> | null {
  const values: Record<string, string> = {};
  if (!header.trim()) return values;
  for (const pair of header.split(',')) {
    const [key, value = '', ...extra] = pair.trim().split(' ');
    if (!key || extra.length || !/^[A-Za-z0-9_.-]{1,64}$/.test(key) || Object.hasOwn(values, key)) return null;
    const decoded = fromBase64(value);
    if (decoded === null) return null;
    values[key] = decoded;
  }
  return values;
}
