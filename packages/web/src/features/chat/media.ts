import type { Attachment } from '@parley/protocol';

/** Images the server measured (it decodes them on upload): shown inline, opened in the lightbox. */
export function isImage(attachment: Attachment): attachment is Attachment & { width: number; height: number } {
  return !!attachment.width && !!attachment.height;
}

/**
 * The size to draw an image at: as large as it is, but within the box, keeping its shape.
 * Known before the image loads, so its space is reserved and nothing below it moves.
 */
export function fitWithin(width: number, height: number, maxWidth: number, maxHeight: number): { width: number; height: number } {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
