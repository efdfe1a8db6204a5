import type { Attachment, Embed, EncryptedEnvelope, FileOffer, Message, Reaction, ReactionEmoji, Snowflake, User } from '@parley/protocol';
import { MessageType, snowflakeTimestamp } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { AttachmentRow, MessageRow, Tables, UserRow } from '../../db/tables';
import { toChannel } from '../channels/serialize';
import { usersByIds } from '../users/queries';
import { deletedUser, toUser } from '../users/serialize';
import type { AttachmentUrls } from './attachment-urls';
import { reactionEmojis } from './reaction-emoji';

const iso = (millis: number) => new Date(millis).toISOString();

/** Signs an attachment's download link (see AttachmentUrls.signer). */
export type SignAttachmentUrl = (row: AttachmentRow, thumbnail?: boolean) => string;

function toAttachment(row: AttachmentRow, sign: SignAttachmentUrl): Attachment {
  const url = sign(row);
  return {
    id: row.id,
    filename: row.filename,
    size: row.size,
    url,
    proxy_url: url,
    content_type: row.content_type,
    width: row.width,
    height: row.height,
    ...(row.has_thumbnail === 1 && { thumbnail_url: sign(row, true) }),
  };
}

/**
 * Messages in Discord's shape, loaded in a handful of queries however many there are: authors,
 * mentioned users, attachments, reactions (with `me` for the viewer), replied-to messages and
 * threads started from them. Without a viewer, reactions are left out (gateway payloads are
 * the same for everyone). Attachment links are signed with `urls`.
 */
/**
 * What a send has just written and already holds: a new message has no reactions, thread or
 * call yet, so nothing of it is read back (issue 17: the payload is built from what was written).
 */
export interface Written {
  mentions: { message_id: Snowflake; user_id: Snowflake }[];
  attachments: AttachmentRow[];
  /** The message it replies to, if any. */
  referenced: MessageRow[];
  /** Users at hand (the author); others named are read. */
  users: UserRow[];
}

export async function loadMessages(db: Kysely<Tables>, rows: MessageRow[], viewerId: Snowflake | null, urls: AttachmentUrls, written?: Written): Promise<Message[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const referencedIds = rows.flatMap((r) => (r.reference_message_id ? [r.reference_message_id] : []));
  const callIds = rows.flatMap((r) => (r.type === MessageType.CALL ? [r.id] : []));
  const held = new Map((written?.users ?? []).map((u) => [u.id, u]));
  // Authors are known from the rows: read with the rest, not after it (one round trip less per page).
  const authorIds = rows.map((r) => r.author_id).filter((id) => !held.has(id));
  const [mentions, attachments, reactions, referenced, threads, calls, authors] = await Promise.all([
    written?.mentions ?? db.selectFrom('message_mentions').select(['message_id', 'user_id']).where('message_id', 'in', ids).execute(),
    // Attachments are written with their message only, which says whether it has any.
    written?.attachments ?? (rows.some((r) => r.has_attachments === 1) ? db.selectFrom('attachments').selectAll().where('message_id', 'in', ids).orderBy('id').execute() : Promise.resolve([])),
    viewerId && !written ? db.selectFrom('reactions').select(['message_id', 'emoji', 'user_id', 'created_at']).where('message_id', 'in', ids).orderBy('created_at').execute() : Promise.resolve([]),
    written?.referenced ?? (referencedIds.length ? db.selectFrom('messages').selectAll().where('id', 'in', referencedIds).execute() : Promise.resolve([])),
    written ? [] : db.selectFrom('channels').selectAll().where('id', 'in', ids).execute(),
    callIds.length && !written ? db.selectFrom('message_calls').selectAll().where('message_id', 'in', callIds).execute() : Promise.resolve([]),
    usersByIds(db, authorIds),
  ]);
  const sign = attachments.length ? await urls.signer() : null;
  const emojiOf = await reactionEmojis(
    db,
    reactions.map((r) => r.emoji),
  );
  for (const [id, user] of authors) held.set(id, user);
  // Mentioned people and replied-to authors who did not write any of these.
  const missing = [...mentions.map((m) => m.user_id), ...referenced.map((r) => r.author_id)].filter((id) => !held.has(id));
  const users = missing.length ? new Map([...held, ...(await usersByIds(db, missing))]) : held;
  const serialize = (row: MessageRow, withReactions: boolean): Message => {
    const author = users.get(row.author_id);
    const thread = threads.find((t) => t.id === row.id);
    const call = calls.find((c) => c.message_id === row.id);
    return {
      id: row.id,
      channel_id: row.channel_id,
      ...(row.guild_id && { guild_id: row.guild_id }),
      author: asPosted(row, author ? toUser(author) : deletedUser(row.author_id)),
      ...(row.webhook_id && { webhook_id: row.webhook_id }),
      content: row.content,
      ...(row.encrypted !== null && { encrypted: JSON.parse(row.encrypted) as EncryptedEnvelope }),
      timestamp: iso(snowflakeTimestamp(row.id)),
      edited_timestamp: row.edited_at === null ? null : iso(row.edited_at),
      tts: false,
      mention_everyone: row.mention_everyone === 1,
      mentions: mentions.filter((m) => m.message_id === row.id).flatMap((m) => (users.has(m.user_id) ? [toUser(users.get(m.user_id)!)] : [])),
      mention_roles: JSON.parse(row.mention_roles) as Snowflake[],
      attachments: attachments.filter((a) => a.message_id === row.id).map((a) => toAttachment(a, sign!)),
      embeds: row.embeds === null ? [] : (JSON.parse(row.embeds) as Embed[]),
      ...(row.file_offer !== null && { file_offer: JSON.parse(row.file_offer) as FileOffer }),
      ...(viewerId &&
        withReactions && {
          reactions: summarizeReactions(
            reactions.filter((r) => r.message_id === row.id),
            viewerId,
            emojiOf,
          ),
        }),
      pinned: row.pinned_at !== null,
      type: row.type,
      flags: row.flags,
      ...(row.reference_message_id && {
        message_reference: { type: 0, message_id: row.reference_message_id, channel_id: row.reference_channel_id ?? row.channel_id, ...(row.guild_id && { guild_id: row.guild_id }) },
      }),
      ...(thread && { thread: toChannel(thread) }),
      ...(call && { call: { participants: JSON.parse(call.participants) as Snowflake[], ended_timestamp: call.ended_at === null ? null : iso(call.ended_at) } }),
    };
  };
  return rows.map((row) => {
    const message = serialize(row, true);
    if (row.reference_message_id) {
      const target = referenced.find((r) => r.id === row.reference_message_id);
      // null: the replied-to message was deleted (Discord's convention).
      message.referenced_message = target ? serialize(target, false) : null;
    }
    return message;
  });
}

/** A webhook's message shows the name it was posted under (its author is the webhook's bot user). */
function asPosted(row: MessageRow, author: User): User {
  return row.webhook_id && row.author_name !== null ? { ...author, username: row.author_name, global_name: null, bot: true } : author;
}

function summarizeReactions(rows: { emoji: string; user_id: Snowflake }[], viewerId: Snowflake, emojiOf: (key: string) => ReactionEmoji): Reaction[] {
  const byEmoji = new Map<string, { count: number; me: boolean }>();
  for (const r of rows) {
    const entry = byEmoji.get(r.emoji) ?? { count: 0, me: false };
    entry.count++;
    entry.me ||= r.user_id === viewerId;
    byEmoji.set(r.emoji, entry);
  }
  return [...byEmoji].map(([name, { count, me }]) => ({
    count,
    count_details: { burst: 0, normal: count },
    me,
    me_burst: false,
    burst_colors: [],
    emoji: emojiOf(name),
  }));
}
