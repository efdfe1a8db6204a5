import { z } from 'zod';
import { Snowflake } from './ids';
import { Limits } from './limits';

/*
 * End-to-end encrypted conversations (issue 14), the part every client sees: the gateway's
 * events. The API is in e2ee-api.ts (`@parley/protocol/e2ee`), loaded with the code that uses it.
 *
 * The server is MLS's delivery service (RFC 9420 §2): it stores devices' key packages and hands
 * one out per claim, orders each conversation's commits (one per epoch: the first to arrive for
 * an epoch wins, later ones are refused and their sender catches up and retries), keeps them for
 * devices that fell behind, and holds welcomes for devices that were added. It never holds a key
 * that opens anything: every MLS message it stores is opaque bytes to it.
 */

/** MLS messages as standard base64 (RFC 4648 §4). */
export const MlsBytes = (maxBytes: number) =>
  z
    .string()
    .min(4)
    .max(Math.ceil(maxBytes / 3) * 4)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'Must be base64');

/** A commit the server accepted: it moved the conversation from `epoch` to `epoch + 1`. */
export const MlsCommit = z.object({
  channel_id: Snowflake,
  epoch: z.number().int().min(0),
  /** The device that sent it. */
  device_id: Snowflake,
  commit: z.string(),
});
export type MlsCommit = z.infer<typeof MlsCommit>;

/** Someone's devices changed (one added or removed): to them and everyone who shares an encrypted conversation with them. */
export const E2eeDevicesUpdate = z.object({ user_id: Snowflake });

/**
 * Who holds an encrypted server's channel changed (docs/e2ee.md "Encrypted servers"): the server
 * keeps its readers in step with who may view it, and tells them and those who were, once per
 * change. Their devices add the newcomers' devices with their next message and take the leavers'
 * out at once, as for a private channel's members.
 */
export const E2eeRosterUpdate = z.object({ guild_id: Snowflake, channel_id: Snowflake, added: z.array(Snowflake), removed: z.array(Snowflake) });

/**
 * A device asking its person's other devices for the keys of their encrypted history (approval
 * from an existing device, docs/e2ee.md "History between your devices"). The keys are sealed to
 * `public_key` (X25519, libsodium's crypto_box_seal); both devices show a code made from it, and
 * the person approves only when the codes match. `sealed` stays null until a device approved,
 * and only the person's own devices ever see the request.
 */
export const HistoryRequest = z.object({
  id: Snowflake,
  device_id: Snowflake,
  device_name: z.string(),
  public_key: z.string(),
  created_at: z.iso.datetime(),
  approved_by: Snowflake.nullable(),
  sealed: z.string().nullable(),
  /** The approving device's signature over the request and `sealed`. */
  signature: z.string().nullable(),
});
export type HistoryRequest = z.infer<typeof HistoryRequest>;

/** A history request was approved, declined or withdrawn: prompts for it close (to the person's sessions). */
export const HistoryRequestDone = z.object({ id: Snowflake, device_id: Snowflake, approved: z.boolean() });

/**
 * A file of an encrypted message, as its sealed text describes it (the server stores only the
 * ciphertext, named "encrypted.bin"): what it is, and the key that opens it (libsodium's
 * secretstream, docs/e2ee.md "Files"). The n-th entry is the message's n-th attachment.
 */
export const SealedFile = z.object({
  name: z.string().min(1).max(255),
  /** The file's real size (the stored one is padded). */
  size: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40),
  content_type: z.string().max(255),
  key: MlsBytes(32),
});
export type SealedFile = z.infer<typeof SealedFile>;
/**
 * Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication with
 * PURBs", 2019): a sealed file's plaintext is padded to this size, which leaks O(log log n) bits
 * of it, at most 12% more.
 */
export function paddedSize(size: number): number {
  if (size < 2) return size;
  const exponent = Math.floor(Math.log2(size));
  const lastBits = exponent - (Math.floor(Math.log2(exponent)) + 1);
  const step = 2 ** Math.max(0, lastBits);
  return Math.ceil(size / step) * step;
}

/** A sealed file's layout (libsodium secretstream): a 24-byte header, then 64 KiB chunks of a padded size, each 17 bytes longer. */
const SEALED_HEADER_BYTES = 24;
const SEALED_CHUNK_BYTES = 64 * 1024;
const SEALED_CHUNK_OVERHEAD = 17;

/** The size of a file of `size` bytes once sealed: what the upload limit applies to (padding and framing add up to 12%). */
export function sealedFileSize(size: number): number {
  const plain = paddedSize(size);
  return SEALED_HEADER_BYTES + plain + SEALED_CHUNK_OVERHEAD * Math.max(1, Math.ceil(plain / SEALED_CHUNK_BYTES));
}

/** Whether a stored file has the size of one sealed on a device: what the server can check of a file it cannot read. */
export function isSealedFileSize(bytes: number): boolean {
  const guess = Math.max(1, Math.ceil((bytes - SEALED_HEADER_BYTES) / (SEALED_CHUNK_BYTES + SEALED_CHUNK_OVERHEAD)));
  for (const chunks of [guess - 1, guess, guess + 1]) {
    const plain = bytes - SEALED_HEADER_BYTES - SEALED_CHUNK_OVERHEAD * chunks;
    if (chunks >= 1 && plain >= 0 && Math.max(1, Math.ceil(plain / SEALED_CHUNK_BYTES)) === chunks && paddedSize(plain) === plain) return true;
  }
  return false;
}

/** The files of one encrypted message: at most as many as any message carries. */
export const SealedFiles = z.array(SealedFile).max(Limits.attachmentsPerMessage);

/** A welcome waiting for one device: it was added to a conversation's group. */
export const MlsWelcome = z.object({
  id: Snowflake,
  channel_id: Snowflake,
  device_id: Snowflake,
  /** The epoch the welcome brings the device into. */
  epoch: z.number().int().min(1),
  welcome: z.string(),
});
export type MlsWelcome = z.infer<typeof MlsWelcome>;

/**
 * Message franking (docs/e2ee.md): what a message's commitment is an HMAC-SHA256 of, under the
 * franking key the sender puts inside the ciphertext. A recipient who reports the message reveals
 * the key and text; the server recomputes the HMAC and compares it with the commitment it stored
 * when the author sent it, which proves the author sent that text.
 */
export function frankingInput(channelId: string, authorId: string, content: string): string {
  return `parley franking v1\n${channelId}\n${authorId}\n${content}`;
}
