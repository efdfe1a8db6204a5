import { type SealedFile, paddedSize } from '@parley/protocol';
import sodium from 'libsodium-wrappers-sumo';
import { fromBase64, toBase64 } from './bytes';

/*
 * Files in encrypted conversations: each is sealed on the sender's device under a key of its
 * own (libsodium's secretstream, XChaCha20-Poly1305 in 64 KiB chunks, the last one marked final
 * so a truncated file is refused) and uploaded as opaque bytes. Its name, type, real size and
 * key travel inside the sealed message; the server sees one "encrypted.bin" of a padded size.
 */

const CHUNK_BYTES = 64 * 1024;

/** A file sealed for upload, and what the message says of it. */
export async function sealFile(file: Blob & { name?: string }): Promise<{ sealed: Blob; meta: SealedFile }> {
  await sodium.ready;
  const key = sodium.crypto_secretstream_xchacha20poly1305_keygen();
  const { state, header } = sodium.crypto_secretstream_xchacha20poly1305_init_push(key);
  const padded = new Uint8Array(paddedSize(file.size));
  padded.set(new Uint8Array(await file.arrayBuffer()));
  const parts: Uint8Array[] = [header];
  for (let offset = 0; offset < padded.length || offset === 0; offset += CHUNK_BYTES) {
    const last = offset + CHUNK_BYTES >= padded.length;
    const tag = last ? sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL : sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    parts.push(sodium.crypto_secretstream_xchacha20poly1305_push(state, padded.subarray(offset, offset + CHUNK_BYTES), null, tag));
    if (last) break;
  }
  return {
    sealed: new Blob(
      parts.map((p) => p.slice().buffer as ArrayBuffer),
      { type: 'application/octet-stream' },
    ),
    meta: { name: file.name || 'file', size: file.size, content_type: file.type || 'application/octet-stream', key: toBase64(key) },
  };
}

/** Thrown when a sealed file does not open: altered, truncated, or not the one the message names. */
export class SealedFileError extends Error {
  constructor() {
    super('This file does not open: it was altered or is not the one the message names');
    this.name = 'SealedFileError';
  }
}

/** Opens a sealed file with what its message says of it. */
export async function openFile(sealed: ArrayBuffer | Uint8Array, meta: SealedFile): Promise<Blob> {
  await sodium.ready;
  const bytes = sealed instanceof Uint8Array ? sealed : new Uint8Array(sealed);
  // Read once libsodium is ready (its constants are set then).
  const ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES;
  const HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES;
  try {
    const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(bytes.subarray(0, HEADER_BYTES), fromBase64(meta.key));
    const parts: Uint8Array[] = [];
    let final = false;
    for (let offset = HEADER_BYTES; offset < bytes.length; offset += CHUNK_BYTES + ABYTES) {
      if (final) throw new SealedFileError();
      const pulled = sodium.crypto_secretstream_xchacha20poly1305_pull(state, bytes.subarray(offset, offset + CHUNK_BYTES + ABYTES), null);
      if (!pulled) throw new SealedFileError();
      parts.push(pulled.message);
      final = pulled.tag === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    }
    if (!final) throw new SealedFileError();
    const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of parts) {
      whole.set(part, at);
      at += part.length;
    }
    if (meta.size > whole.length) throw new SealedFileError();
    return new Blob([whole.slice(0, meta.size).buffer as ArrayBuffer], { type: meta.content_type });
  } catch (error) {
    throw error instanceof SealedFileError ? error : new SealedFileError();
  }
}
