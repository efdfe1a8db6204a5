import { ChannelType, ENCRYPTED_THREAD_NAME, type EncryptedEnvelope, SEALED_REACTION_PREFIX, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { ChannelRow, GuildRow, Tables } from '../db/tables';
import { ApiError, fieldError } from '../http/errors';
import type { ChannelAccess } from './access';
import { isThread } from './channel-kinds';

/*
 * Who may do what with encrypted conversations' MLS state (features/e2ee). Reading a
 * conversation's commits and committing take what reading its messages takes (the route's
 * `requires`), plus:
 * - the MLS routes answer only for a conversation that is end-to-end encrypted;
 * - a device is used by its owner alone (registering key packages, reading its welcomes,
 *   committing as it);
 * - a welcome goes only to a device of someone in the conversation (a DM's recipients, a
 *   private channel's members): nobody can push a group onto strangers' devices.
 * In an encrypted server every text channel is encrypted, and its readers are whoever may view
 * it: the server keeps them in step (features/e2ee/rosters.ts), nobody adds them by hand.
 * Device lists and key packages are public to signed-in people (as in Matrix), so anyone can
 * start an encrypted DM with anyone they could DM; claims are rate limited.
 */

/** The conversation of an MLS route: end-to-end encrypted, or 90071. A thread has no group: its channel's seals its messages. */
export function encryptedConversation(access: ChannelAccess): ChannelRow {
  if (access.channel.e2ee !== 1) throw new ApiError('NOT_ENCRYPTED');
  if (isThread(access.channel.type)) throw new ApiError('NOT_ENCRYPTED', { message: "A thread's messages are sealed with its channel's group" });
  return access.channel;
}

/**
 * What a message may carry in this conversation. An encrypted one takes an envelope and no text
 * the server could read: nothing is ever silently sent in the clear there, and a client that
 * cannot encrypt does not send. Its files are sealed on the sender's device and kept as opaque
 * "encrypted.bin" (AttachmentReceiver drops their names and types). A plain one takes no envelope.
 */
export function checkMessageKind(access: ChannelAccess, message: { content?: string | null | undefined; encrypted?: EncryptedEnvelope | undefined; file_offer?: unknown }): void {
  if (isEncryptedConversation(access)) {
    if ((message.content ?? '') !== '' || !message.encrypted) throw new ApiError('PLAINTEXT_REFUSED');
    // A file offered peer to peer is named inside the envelope: its name and size are the sender's to tell.
    if (message.file_offer) throw new ApiError('PLAINTEXT_REFUSED', { message: 'In an end-to-end encrypted conversation, a peer-to-peer file offer travels inside the sealed message.' });
  } else if (message.encrypted) {
    throw new ApiError('NOT_ENCRYPTED');
  }
}

/**
 * A reaction's emoji: sealed (a keyed hash only the conversation's devices compute) in an
 * encrypted conversation, where a plain emoji would be readable; plain everywhere else.
 */
export function checkReactionKind(access: ChannelAccess, emoji: string): void {
  const sealed = emoji.startsWith(SEALED_REACTION_PREFIX);
  if (isEncryptedConversation(access) && !sealed) throw new ApiError('PLAINTEXT_REFUSED');
  if (!isEncryptedConversation(access) && sealed) throw new ApiError('NOT_ENCRYPTED');
}

/**
 * A thread's name, on starting or renaming it: in an encrypted conversation (the channel, or the
 * thread itself) the name would be readable, so only ENCRYPTED_THREAD_NAME is taken there.
 */
export function checkThreadName(access: ChannelAccess, name: string | undefined): void {
  if (name !== undefined && name !== ENCRYPTED_THREAD_NAME && isEncryptedConversation(access)) {
    throw new ApiError('PLAINTEXT_REFUSED', { message: `A thread in an end-to-end encrypted channel has no name the server could read: it is called "${ENCRYPTED_THREAD_NAME}"` });
  }
}

/**
 * Whether a new guild channel is end-to-end encrypted, or a field error. Encryption needs a known
 * set of readers: a private text channel's members, or in an encrypted server whoever may view
 * the text channel (there every text channel is encrypted, and a plain one is refused).
 */
export function newChannelEncrypted(guild: Pick<GuildRow, 'e2ee'>, body: { type: number; private?: boolean | undefined; e2ee?: boolean | undefined }): boolean {
  const text = body.type === ChannelType.GUILD_TEXT;
  if (guild.e2ee === 1) {
    if (text && body.e2ee === false) throw fieldError('e2ee', 'BASE_TYPE_INVALID', 'Every text channel of an encrypted server is end-to-end encrypted');
    if (!text && body.e2ee) throw fieldError('e2ee', 'BASE_TYPE_INVALID', 'Only text channels can be end-to-end encrypted (calls always are)');
    return text;
  }
  if (body.e2ee && (!text || !body.private)) throw fieldError('e2ee', 'BASE_TYPE_INVALID', 'Only private text channels can be end-to-end encrypted');
  return body.e2ee === true;
}

/** Whether a channel (or the channel a thread is in) is end-to-end encrypted. */
export const isEncryptedConversation = (access: ChannelAccess) => access.channel.e2ee === 1 || access.parent?.e2ee === 1;

/** The caller's own device, or "unknown device". */
export async function ownDevice(db: Kysely<Tables>, userId: Snowflake, deviceId: Snowflake): Promise<void> {
  const device = await db.selectFrom('e2ee_devices').select('id').where('id', '=', deviceId).where('user_id', '=', userId).executeTakeFirst();
  if (!device) throw new ApiError('UNKNOWN_DEVICE');
}

/** The owners of these devices, each of whom must be in the conversation (else 90070 for that device). */
export async function devicesInConversation(db: Kysely<Tables>, channel: ChannelRow, deviceIds: readonly Snowflake[]): Promise<Map<Snowflake, Snowflake>> {
  const owners = new Map<Snowflake, Snowflake>();
  if (deviceIds.length === 0) return owners;
  const rows = await db
    .selectFrom('e2ee_devices')
    .innerJoin('channel_members', (join) => join.onRef('channel_members.user_id', '=', 'e2ee_devices.user_id').on('channel_members.channel_id', '=', channel.id))
    .select(['e2ee_devices.id', 'e2ee_devices.user_id'])
    .where('e2ee_devices.id', 'in', [...deviceIds])
    .where('channel_members.state', '!=', 'declined')
    .execute();
  for (const row of rows) owners.set(row.id, row.user_id);
  for (const id of deviceIds) if (!owners.has(id)) throw new ApiError('UNKNOWN_DEVICE', { message: `Unknown device ${id}: not a device of anyone in this conversation` });
  return owners;
}
