import { Limits } from '@parley/protocol';

/**
 * What Parley keeps of the name and type a client gave an uploaded file. Neither is trusted:
 * the name is only ever shown and offered as the download name (the file is stored under its
 * ID), and the type decides nothing about how a download is rendered unless it is verified.
 */

/** Control characters, and the invisible direction marks that can make "evil‮gpj.exe" read as "evilexe.jpg". */
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** Keeps an extension through shortening only when it looks like one. */
const EXTENSION = /\.[\p{L}\p{N}]{1,16}$/u;

/**
 * A display name for an upload: no directory parts (from either kind of slash), no control or
 * direction characters, trimmed of spaces and of trailing dots (which Windows drops on save),
 * at most Limits.filenameMax characters with the extension kept. "file" when nothing is left.
 */
export function sanitizeFilename(raw: string): string {
  const base = raw.normalize('NFC').replace(UNSAFE_CHARACTERS, '').split(/[/\\]/).pop()!;
  const name = base.trim().replace(/[.\s]+$/, '');
  if (!name || /^\.+$/.test(name)) return 'file';
  const characters = Array.from(name); // by code point: never split an emoji or other surrogate pair
  if (characters.length <= Limits.filenameMax) return name;
  const extension = Array.from(EXTENSION.exec(name)?.[0] ?? '');
  return (
    characters
      .slice(0, Limits.filenameMax - extension.length)
      .join('')
      .trimEnd() + extension.join('')
  );
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/**
 * The declared type of a file that is not a verified image: lowercase `type/subtype` without
 * parameters, or application/octet-stream when it is missing or malformed. A declared image
 * type that decoding did not confirm is not kept: an image/png that is no PNG stays a download.
 */
export function declaredContentType(declared: string): string {
  const type = declared.split(';')[0]!.trim().toLowerCase();
  if (!MEDIA_TYPE.test(type) || ['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(type)) return 'application/octet-stream';
  return type;
}

/** Types browsers show as media and never run as a document: only these are served inline. */
const INLINE_TYPES = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'audio/mpeg',
  'audio/mp4',
  'audio/ogg',
  'audio/webm',
  'audio/wav',
  'audio/wave',
  'audio/x-wav',
]);

/** Whether a stored attachment may be displayed in the browser rather than downloaded. */
export function isInlineType(contentType: string): boolean {
  return INLINE_TYPES.has(contentType);
}

/**
 * A Content-Disposition header for a download: an ASCII fallback for old clients and the
 * exact name in RFC 5987 form (`filename*=UTF-8''…`), so no name can break out of the header.
 */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
