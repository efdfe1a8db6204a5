import { z } from 'zod';
import { Channel } from './channels';
import { Member } from './guilds';
import { Snowflake } from './ids';
import { Limits, line, text } from './limits';
import { defineRoute } from './route';
import { User } from './users';
import { SafetyLabel } from './safety';
import { MlsBytes } from './e2ee';
import { Embed } from './embeds';
import { FileOffer } from './file-transfer';
import { UploadedAttachment } from './uploads';
import { CUSTOM_EMOJI_KEY } from './emojis';

/** Discord's message types, the ones Parley produces. */
export const MessageType = {
  DEFAULT: 0,
  RECIPIENT_ADD: 1,
  RECIPIENT_REMOVE: 2,
  CALL: 3,
  CHANNEL_PINNED_MESSAGE: 6,
  USER_JOIN: 7,
  THREAD_CREATED: 18,
  REPLY: 19,
  THREAD_STARTER_MESSAGE: 21,
} as const;

export const Attachment = z.object({
  id: Snowflake,
  filename: z.string(),
  size: z.number().int(),
  /** Where to download it, on this server. */
  url: z.string(),
  proxy_url: z.string(),
  content_type: z.string().optional(),
  /** Images: pixel size, and a small preview to show before the full image loads. */
  width: z.number().int().nullable().optional(),
  height: z.number().int().nullable().optional(),
  /** Parley: a thumbnail (at most 400 px), for images. */
  thumbnail_url: z.string().optional(),
});
export type Attachment = z.infer<typeof Attachment>;

/** A Unicode emoji (custom emoji come later): one grapheme's worth of emoji code points. */
export const UnicodeEmoji = z
  .string()
  .min(1)
  .max(Limits.emojiMax)
  .regex(/^(?:\p{Extended_Pictographic}|\p{Emoji_Component}|\p{Emoji_Modifier}|\u200d|\ufe0f|\u20e3)+$/u, 'Must be a Unicode emoji');

/**
 * A reaction in an end-to-end encrypted conversation: a keyed hash of the emoji and the message
 * that only the conversation's devices can compute (docs/e2ee.md, "Reactions"). The server
 * counts equal ones together without learning which emoji they are.
 */
export const SealedReaction = z.string().regex(/^sealed\.[A-Za-z0-9_-]{22}$/, 'Must be a sealed reaction');
export const SEALED_REACTION_PREFIX = 'sealed.';

/**
 * The one name a thread of an end-to-end encrypted channel takes: any other would be readable on
 * the server. Clients show it by the (opened) message it started from.
 */
export const ENCRYPTED_THREAD_NAME = 'Encrypted thread';

/** A server's custom emoji as a reaction: `name:id` (protocol/emojis.ts). */
export const CustomEmojiKey = z.string().regex(CUSTOM_EMOJI_KEY, 'Must be a custom emoji as name:id');

/** What reacting takes: a Unicode emoji, a server's custom emoji, or a sealed one where the conversation is encrypted. */
export const ReactionKey = z.union([UnicodeEmoji, CustomEmojiKey, SealedReaction], {
  error: 'Must be a Unicode emoji, a custom emoji as name:id (or a sealed reaction in an encrypted conversation)',
});

/** A Unicode emoji has no ID; a custom one has its ID and name. */
export const ReactionEmoji = z.object({ id: Snowflake.nullable(), name: z.string(), animated: z.boolean().optional() });
export type ReactionEmoji = z.infer<typeof ReactionEmoji>;

export const Reaction = z.object({
  count: z.number().int(),
  count_details: z.object({ burst: z.number().int(), normal: z.number().int() }),
  /** Whether the user asking reacted with it. */
  me: z.boolean(),
  me_burst: z.boolean(),
  burst_colors: z.array(z.string()),
  emoji: ReactionEmoji,
});
export type Reaction = z.infer<typeof Reaction>;

export const MessageReference = z.object({
  type: z.number().int().optional(),
  message_id: Snowflake.optional(),
  channel_id: Snowflake.optional(),
  guild_id: Snowflake.optional(),
  fail_if_not_exists: z.boolean().optional(),
});

/**
 * Parley: an end-to-end encrypted message (docs/e2ee.md). Its `content` is empty; the text is
 * in here, readable only by devices in the conversation's MLS group at `epoch`.
 */
export const EncryptedEnvelope = z.object({
  /** The group epoch whose exported secret the content key comes from. */
  epoch: z
    .number()
    .int()
    .min(0)
    .max(2 ** 40),
  /** The sending device (its MLS leaf signs the envelope). */
  device_id: Snowflake,
  /** A 32-byte nonce, then the AEGIS-256 ciphertext and tag, base64. */
  ciphertext: MlsBytes(Limits.encryptedMessageMaxBytes),
  /** Ed25519, by the device's MLS signature key, over the associated data, nonce and ciphertext. */
  signature: MlsBytes(64),
  /** Franking: HMAC-SHA256 of frankingInput() under a key inside the ciphertext (reports reveal both). */
  commitment: MlsBytes(32),
});
export type EncryptedEnvelope = z.infer<typeof EncryptedEnvelope>;

const MessageFields = z.object({
  id: Snowflake,
  channel_id: Snowflake,
  guild_id: Snowflake.optional(),
  author: User,
  member: Member.omit({ user: true }).optional(),
  content: z.string(),
  encrypted: EncryptedEnvelope.optional(),
  timestamp: z.iso.datetime(),
  edited_timestamp: z.iso.datetime().nullable(),
  tts: z.boolean(),
  mention_everyone: z.boolean(),
  mentions: z.array(User),
  mention_roles: z.array(Snowflake),
  attachments: z.array(Attachment),
  embeds: z.array(Embed),
  /** Parley: a file offered peer to peer (docs/file-transfer.md); fetched from the sender's browser, never stored here. */
  file_offer: FileOffer.optional(),
  /** Posted by this webhook (the author is the webhook, under the name it gave). */
  webhook_id: Snowflake.optional(),
  reactions: z.array(Reaction).optional(),
  nonce: z.union([z.string(), z.number()]).optional(),
  pinned: z.boolean(),
  type: z.number().int(),
  flags: z.number().int(),
  message_reference: MessageReference.optional(),
  thread: Channel.optional(),
  /** Call messages (type 3): who joined, and when it ended (null while it goes on). Missed: you are not in participants. */
  call: z.object({ participants: z.array(Snowflake), ended_timestamp: z.iso.datetime().nullable() }).optional(),
  /**
   * Parley (features/safety): held for review. The classifier flagged it and you are a minor:
   * content and attachments are withheld (empty) until an admin releases it (a MESSAGE_UPDATE).
   */
  held: z.literal(true).optional(),
  /**
   * Parley (features/safety), to its author only: the classifier flagged this message; it is held
   * from minors, and `block_id` names the block placed on you when it scored above the block threshold.
   */
  safety_flag: z.object({ labels: z.array(SafetyLabel), block_id: Snowflake.nullable() }).optional(),
});

/**
 * A message in Discord's shape. Gateway events add guild_id and the author's member object.
 * A reply carries the message it answers (one level deep: that one's own reference is left out).
 */
export const Message = MessageFields.extend({ referenced_message: MessageFields.nullable().optional() });
export type Message = z.infer<typeof Message>;

/**
 * Who a message may notify. Like Discord: by default everyone mentioned in the text; a reply
 * pings the replied-to author unless replied_user is false.
 */
export const AllowedMentions = z.object({
  parse: z
    .array(z.enum(['users', 'roles', 'everyone']))
    .max(3)
    .optional(),
  users: z.array(Snowflake).max(100).optional(),
  roles: z.array(Snowflake).max(100).optional(),
  replied_user: z.boolean().optional(),
});

/** Message flags Parley honours (Discord's values). */
export const MessageFlags = {
  /** No link previews for this message (set on sending, or by its author later). */
  SUPPRESS_EMBEDS: 1 << 2,
} as const;

export const MessageContent = text(Limits.messageContentMax);
export const Nonce = z.union([line(Limits.nonceMax), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);

export const CreateMessageBody = z.object({
  content: MessageContent.optional(),
  /** In an end-to-end encrypted conversation, instead of `content` (which the server refuses there). */
  encrypted: EncryptedEnvelope.optional(),
  nonce: Nonce.optional(),
  /**
   * With a nonce: if the same author sent a message with this nonce to this channel in the last
   * few minutes, that message is returned and no new one is created (Discord's semantics), so a
   * client may retry a send whose answer it lost.
   */
  enforce_nonce: z.boolean().optional(),
  tts: z.boolean().optional(),
  message_reference: MessageReference.optional(),
  allowed_mentions: AllowedMentions.optional(),
  flags: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .optional(),
  /** Parley: offer a file peer to peer instead of uploading it (not in encrypted conversations, whose offers travel sealed). */
  file_offer: FileOffer.optional(),
  /** Files uploaded beforehand with the resumable upload protocol (docs/uploads.md), finished, to this channel. */
  attachments: z.array(UploadedAttachment).max(Limits.attachmentsPerMessage).optional(),
});
export type CreateMessageBody = z.input<typeof CreateMessageBody>;

export const EditMessageBody = z.object({
  content: MessageContent.nullable().optional(),
  /** In an end-to-end encrypted conversation: the new envelope. */
  encrypted: EncryptedEnvelope.optional(),
  allowed_mentions: AllowedMentions.optional(),
  flags: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31)
    .optional(),
});

export const HistoryQuery = z
  .object({
    before: Snowflake.optional(),
    after: Snowflake.optional(),
    around: Snowflake.optional(),
    limit: z.coerce.number().int().min(1).max(Limits.historyPageMax).default(50),
  })
  .refine((q) => [q.before, q.after, q.around].filter(Boolean).length <= 1, { message: 'Use only one of before, after and around' });

export const SearchQuery = z.object({
  content: line(Limits.searchQueryMax).optional(),
  author_id: Snowflake.optional(),
  channel_id: Snowflake.optional(),
  /** "file": has an attachment; "image": has an image attachment. */
  has: z.enum(['file', 'image']).optional(),
  /** Only messages sent on or after / before this time (ISO 8601 date or date-time). */
  after: z.iso
    .date()
    .or(z.iso.datetime({ offset: true }))
    .optional(),
  before: z.iso
    .date()
    .or(z.iso.datetime({ offset: true }))
    .optional(),
  limit: z.coerce.number().int().min(1).max(50).default(25),
  offset: z.coerce.number().int().min(0).max(5000).default(0),
});

export const SearchResults = z.object({
  total_results: z.number().int(),
  messages: z.array(Message),
});

export const StartThreadBody = z.object({
  name: line(Limits.channelNameMax, 1),
  auto_archive_duration: z.union([z.literal(60), z.literal(1440), z.literal(4320), z.literal(10080)]).optional(),
  rate_limit_per_user: z.number().int().min(0).max(21_600).optional(),
});

const ChannelParams = z.object({ channel_id: Snowflake });
const MessageParams = z.object({ channel_id: Snowflake, message_id: Snowflake });
const ReactionParams = MessageParams.extend({ emoji: ReactionKey });

export const messageRoutes = {
  list: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id/messages',
    summary: 'History, newest first, paged by before / after / around (limit 1–100)',
    tag: 'Messages',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: ChannelParams,
    query: HistoryQuery,
    response: z.array(Message),
  }),
  get: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id/messages/:message_id',
    summary: 'One message',
    tag: 'Messages',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: MessageParams,
    response: Message,
  }),
  create: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/messages',
    summary:
      'Send a message (Markdown text up to 4,000 characters; reply with message_reference; a send repeated with the same nonce and enforce_nonce within 5 minutes returns the first message). Files: multipart/form-data with payload_json and files[n]',
    tag: 'Messages',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL'] },
    params: ChannelParams,
    body: CreateMessageBody,
    files: { maxCount: Limits.attachmentsPerMessage },
    response: Message,
  }),
  edit: defineRoute({
    method: 'PATCH',
    path: '/channels/:channel_id/messages/:message_id',
    summary: 'Edit your own message',
    tag: 'Messages',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: MessageParams,
    body: EditMessageBody,
    response: Message,
  }),
  delete: defineRoute({
    method: 'DELETE',
    path: '/channels/:channel_id/messages/:message_id',
    summary: 'Delete your own message (or anyone’s, with Manage Messages)',
    tag: 'Messages',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL'] },
    params: MessageParams,
    response: null,
  }),
  ack: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/messages/:message_id/ack',
    summary: 'Mark the channel read up to this message, on all your devices (never moves the marker back)',
    tag: 'Read states',
    auth: 'person',
    requires: { channel: ['VIEW_CHANNEL'] },
    params: MessageParams,
    response: null,
  }),
  addReaction: defineRoute({
    method: 'PUT',
    path: '/channels/:channel_id/messages/:message_id/reactions/:emoji/@me',
    summary: 'React with a Unicode emoji (URL-encoded)',
    tag: 'Reactions',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: ReactionParams,
    response: null,
  }),
  removeOwnReaction: defineRoute({
    method: 'DELETE',
    path: '/channels/:channel_id/messages/:message_id/reactions/:emoji/@me',
    summary: 'Take back your reaction',
    tag: 'Reactions',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: ReactionParams,
    response: null,
  }),
  removeUserReaction: defineRoute({
    method: 'DELETE',
    path: '/channels/:channel_id/messages/:message_id/reactions/:emoji/:user_id',
    summary: 'Remove someone’s reaction (needs Manage Messages)',
    tag: 'Reactions',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: ReactionParams.extend({ user_id: Snowflake }),
    response: null,
  }),
  listReactions: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id/messages/:message_id/reactions/:emoji',
    summary: 'Who reacted with this emoji',
    tag: 'Reactions',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: ReactionParams,
    query: z.object({ after: Snowflake.optional(), limit: z.coerce.number().int().min(1).max(100).default(25) }),
    response: z.array(User),
  }),
  listPins: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id/pins',
    summary: 'Pinned messages, newest pin first',
    tag: 'Pins',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: ChannelParams,
    response: z.array(Message),
  }),
  pin: defineRoute({
    method: 'PUT',
    path: '/channels/:channel_id/pins/:message_id',
    summary: 'Pin a message (needs Pin Messages or Manage Messages; anyone in a DM)',
    tag: 'Pins',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: MessageParams,
    response: null,
  }),
  unpin: defineRoute({
    method: 'DELETE',
    path: '/channels/:channel_id/pins/:message_id',
    summary: 'Unpin a message',
    tag: 'Pins',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: MessageParams,
    response: null,
  }),
  startThread: defineRoute({
    method: 'POST',
    path: '/channels/:channel_id/messages/:message_id/threads',
    summary: 'Start a thread from a message: a channel of its own, with the message’s ID',
    tag: 'Threads',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: MessageParams,
    body: StartThreadBody,
    response: Channel,
  }),
  searchGuild: defineRoute({
    method: 'GET',
    path: '/guilds/:guild_id/messages/search',
    summary: 'Full-text search in a server’s channels you can read, filtered by author, channel, attachments and date',
    tag: 'Search',
    auth: 'user',
    requires: { guild: [] },
    params: z.object({ guild_id: Snowflake }),
    query: SearchQuery,
    response: SearchResults,
  }),
  searchChannel: defineRoute({
    method: 'GET',
    path: '/channels/:channel_id/messages/search',
    summary: 'Full-text search in one channel or DM',
    tag: 'Search',
    auth: 'user',
    requires: { channel: ['VIEW_CHANNEL', 'READ_MESSAGE_HISTORY'] },
    params: ChannelParams,
    query: SearchQuery.omit({ channel_id: true }),
    response: SearchResults,
  }),
};
