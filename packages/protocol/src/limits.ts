import { z } from 'zod';

/**
 * Size limits on user input, shared by the server (which enforces them) and clients (which
 * check early so people see the problem before a round trip).
 */
export const Limits = {
  /** An encrypted message's ciphertext: room for a full message's UTF-8 text and its envelope. */
  encryptedMessageMaxBytes: 20 * 1024,
  usernameMin: 2,
  usernameMax: 32,
  displayNameMax: 32,
  passwordMin: 8,
  /** argon2 cost does not grow with length, but parsing and hashing megabytes is still waste. */
  passwordMax: 256,
  emailMax: 254,
  bioMax: 190,
  customStatusMax: 128,
  inviteCodeMax: 64,
  avatarMaxBytes: 5 * 1024 * 1024,
  /** Largest accepted image, in pixels (width × height): refuses decompression bombs. */
  imageMaxPixels: 40_000_000,
  /** Ordinary JSON bodies. Routes that carry images as data URIs get their own, larger limit. */
  jsonBodyMaxBytes: 256 * 1024,
  /** JSON bodies that may carry a 5 MiB image as a base64 data URI. */
  imageBodyMaxBytes: Math.ceil((5 * 1024 * 1024 * 4) / 3) + 64 * 1024,
  userAgentMax: 512,
  guildNameMax: 100,
  channelNameMax: 100,
  topicMax: 1024,
  messageContentMax: 4000,
  /** A client's own marker for matching its optimistic message with the server's echo. */
  nonceMax: 25,
  /** Recipients of a group DM, the creator included. */
  groupDmMax: 10,
  historyPageMax: 100,
  /** Default upload limit per attachment; operators can change it (ATTACHMENT_MAX_BYTES). */
  attachmentMaxBytes: 25 * 1024 * 1024,
  attachmentsPerMessage: 10,
  filenameMax: 255,
  emojiMax: 64,
  searchQueryMax: 256,
  roleNameMax: 100,
  rolesPerGuild: 250,
  /** An audit log reason (the X-Audit-Log-Reason header, or a ban's reason). */
  auditReasonMax: 512,
  /** A report's note (what the reporter adds), and a page of the report queue. */
  reportNoteMax: 1000,
  reportsPageMax: 100,
  /** Longest timeout: 28 days, as in Discord. */
  timeoutMaxMs: 28 * 24 * 60 * 60 * 1000,
  /** bulk-delete takes 2 to 100 messages, none older than 14 days. */
  bulkDeleteMin: 2,
  bulkDeleteMax: 100,
  bulkDeleteMaxAgeMs: 14 * 24 * 60 * 60 * 1000,
  /** A ban may delete the member's messages of up to the last 7 days. */
  banDeleteMessageSecondsMax: 7 * 24 * 60 * 60,
  /** Largest inbound gateway frame, in bytes: room for a call's SDP offer (calls.ts). */
  gatewayFrameMaxBytes: 32 * 1024,
  /** A large server's presences one session follows (op 14, GUILD_SUBSCRIBE): the online list's first members… */
  presenceOnlineMax: 250,
  /** …and members named by ID (the rows on screen, a profile open). */
  presenceMembersMax: 100,
  /** Servers one session follows presences in at once (a client shows one member list at a time). */
  presenceGuildsMax: 5,
  /** A passkey's name, chosen by its owner ("Laptop", "Phone"). */
  passkeyNameMax: 64,
  /** One base64url field of a WebAuthn credential (an attestation object with a certificate chain fits). */
  webauthnFieldMax: 16 * 1024,
} as const;

/**
 * Control characters have no business in names and text people type, and PostgreSQL refuses
 * NUL outright: refused at the edge so both engines behave the same. Newline and tab stay
 * allowed where text is multi-line.
 */
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
const CONTROL_OR_NEWLINE = /[\u0000-\u001F\u007F]/;

/** A single-line string, trimmed: no control characters, no line breaks. */
export const line = (max: number, min = 0) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .refine((s) => !CONTROL_OR_NEWLINE.test(s), 'Must not contain control characters or line breaks');
/** Multi-line text: line breaks and tabs allowed, other control characters not. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !CONTROL_CHARACTERS.test(s), 'Must not contain control characters');

/** Image types accepted for avatars (and, later, icons). Everything else is refused. */
export const AcceptedImageTypes = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;
