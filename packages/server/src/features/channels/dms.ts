import { type Channel, ChannelType, Limits, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import { blockedEitherWay } from '../../access/blocks';
import type { AppContext } from '../../context';
import type { ChannelMemberState, ChannelRow, NewChannel, Tables, UserRow } from '../../db/tables';
import { event } from '../../events/publisher';
import { ApiError } from '../../http/errors';
import { usersByIds } from '../users/queries';
import { toUser } from '../users/serialize';
import { toChannel } from './serialize';

/**
 * Direct messages: anyone can reach anyone by ID (guests included), but the first DM from a
 * stranger is a message request the recipient accepts or declines. Blocks stop DMs both ways.
 */

/**
 * Someone `recipient` already knows: they share a server, or the recipient once accepted a DM
 * with `sender`. Messages from people they know skip the request step.
 */
async function knows(db: Kysely<Tables>, recipient: Snowflake, sender: Snowflake): Promise<boolean> {
  const sharedGuild = await db
    .selectFrom('members as a')
    .innerJoin('members as b', 'b.guild_id', 'a.guild_id')
    .select('a.guild_id')
    .where('a.user_id', '=', recipient)
    .where('b.user_id', '=', sender)
    .executeTakeFirst();
  if (sharedGuild) return true;
  const acceptedDm = await db
    .selectFrom('channels')
    .innerJoin('channel_members', 'channel_members.channel_id', 'channels.id')
    .select('channels.id')
    .where('channels.dm_key', '=', dmKey(recipient, sender))
    .where('channel_members.user_id', '=', recipient)
    .where('channel_members.state', '=', 'accepted')
    .executeTakeFirst();
  return acceptedDm !== undefined;
}

export async function initialState(db: Kysely<Tables>, recipient: Snowflake, sender: Snowflake): Promise<ChannelMemberState> {
  return (await knows(db, recipient, sender)) ? 'accepted' : 'request';
}

function dmKey(a: Snowflake, b: Snowflake): string {
  return BigInt(a) < BigInt(b) ? `${a}:${b}` : `${b}:${a}`;
}

/** A DM or group DM as one of its members sees it. */
export async function dmAsSeenBy(db: Kysely<Tables>, channel: ChannelRow, viewerId: Snowflake): Promise<Channel> {
  const members = await db.selectFrom('channel_members').select(['user_id', 'state']).where('channel_id', '=', channel.id).execute();
  const users = await usersByIds(
    db,
    members.map((m) => m.user_id),
  );
  const others = members.filter((m) => m.user_id !== viewerId).flatMap((m) => (users.has(m.user_id) ? [toUser(users.get(m.user_id)!)] : []));
  const mine = members.find((m) => m.user_id === viewerId);
  return toChannel(channel, { recipients: others, messageRequest: mine?.state === 'request' });
}

async function assertCanDm(db: Kysely<Tables>, sender: Snowflake, recipients: readonly Snowflake[]): Promise<void> {
  const users = await usersByIds(db, recipients);
  for (const id of recipients) {
    if (id === sender) throw new ApiError('CANNOT_MESSAGE_USER', { message: 'You cannot DM yourself' });
    if (!users.has(id)) throw new ApiError('INVALID_RECIPIENTS');
    if (await blockedEitherWay(db, sender, id)) throw new ApiError('CANNOT_MESSAGE_USER');
  }
}

function newDirectChannel(ctx: AppContext, type: number, owner: Snowflake | null, key: string | null, e2ee: boolean): NewChannel {
  return {
    e2ee: e2ee ? 1 : 0,
    id: ctx.ids.next(),
    type,
    guild_id: null,
    name: null,
    topic: null,
    parent_id: null,
    owner_id: owner,
    icon: null,
    last_message_id: null,
    last_pin_at: null,
    bitrate: null,
    user_limit: null,
    auto_archive_duration: null,
    dm_key: key,
    created_at: ctx.clock.now(),
  };
}

/**
 * Opens the one DM between two people (creating it the first time, reopening it if closed). The
 * end-to-end encrypted DM between them is another one, with a key of its own.
 */
export async function openDm(ctx: AppContext, senderId: Snowflake, recipientId: Snowflake, e2ee = false): Promise<Channel> {
  const { db } = ctx;
  await assertCanDm(db, senderId, [recipientId]);
  if (e2ee) await ctx.safety.requireEncryptionAllowed({ people: [senderId, recipientId] });
  const key = e2ee ? `${dmKey(senderId, recipientId)}:e2ee` : dmKey(senderId, recipientId);
  let channel = await db.selectFrom('channels').selectAll().where('dm_key', '=', key).executeTakeFirst();
  if (!channel) {
    const row = newDirectChannel(ctx, ChannelType.DM, null, key, e2ee);
    const recipientState = await initialState(db, recipientId, senderId);
    try {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('channels').values(row).execute();
        await trx
          .insertInto('channel_members')
          .values([
            { channel_id: row.id, user_id: senderId, state: 'accepted', joined_at: row.created_at },
            { channel_id: row.id, user_id: recipientId, state: recipientState, joined_at: row.created_at },
          ])
          .execute();
      });
    } catch (error) {
      // Both opened it at once: the other insert won, use its channel.
      if (!(await db.selectFrom('channels').select('id').where('dm_key', '=', key).executeTakeFirst())) throw error;
    }
    channel = await db.selectFrom('channels').selectAll().where('dm_key', '=', key).executeTakeFirstOrThrow();
  } else {
    // A DM the opener had closed comes back.
    await db.updateTable('channel_members').set({ state: 'accepted' }).where('channel_id', '=', channel.id).where('user_id', '=', senderId).where('state', '=', 'hidden').execute();
  }
  const seen = await dmAsSeenBy(db, channel, senderId);
  await ctx.events.publish(event('CHANNEL_CREATE', seen, { users: [senderId] }));
  return seen;
}

/** Creates a group DM: the creator and up to nine others. Each recipient sees it as they should. */
export async function openGroupDm(ctx: AppContext, ownerId: Snowflake, recipientIds: readonly Snowflake[], e2ee = false): Promise<Channel> {
  const { db } = ctx;
  const others = [...new Set(recipientIds)];
  if (others.length + 1 > Limits.groupDmMax) throw new ApiError('GROUP_DM_FULL');
  await assertCanDm(db, ownerId, others);
  if (e2ee) await ctx.safety.requireEncryptionAllowed({ people: [ownerId, ...others] });
  const row = newDirectChannel(ctx, ChannelType.GROUP_DM, ownerId, null, e2ee);
  const states = await Promise.all(others.map((id) => initialState(db, id, ownerId)));
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('channels').values(row).execute();
    await trx
      .insertInto('channel_members')
      .values([
        { channel_id: row.id, user_id: ownerId, state: 'accepted', joined_at: row.created_at },
        ...others.map((id, i) => ({ channel_id: row.id, user_id: id, state: states[i]!, joined_at: row.created_at })),
      ])
      .execute();
  });
  const channel = await db.selectFrom('channels').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
  await announceDmTo(ctx, channel, [ownerId, ...others]);
  return dmAsSeenBy(db, channel, ownerId);
}

/** CHANNEL_CREATE to each of the given members, each with their own view (recipients, request flag). */
export async function announceDmTo(ctx: Pick<AppContext, 'db' | 'events'>, channel: ChannelRow, userIds: readonly Snowflake[]): Promise<void> {
  const events = await Promise.all(userIds.map(async (id) => event('CHANNEL_CREATE', await dmAsSeenBy(ctx.db, channel, id), { users: [id] })));
  await ctx.events.publish(...events);
}

/** One of the user's DMs or group DMs, with their state in it, their read position (read_states.last_message_id) and who else is in it. */
export type DmMembership = ChannelRow & { state: ChannelMemberState; read_id: Snowflake | null; recipient_ids: Snowflake[] };

/**
 * Users' DMs and group DMs in any state but declined, newest message first, with the other
 * members of each: one read for READY's private channels, their read states and whether the user
 * has DM partners at all.
 */
export async function dmMembershipsOfMany(db: Kysely<Tables>, userIds: readonly Snowflake[]): Promise<Map<Snowflake, DmMembership[]>> {
  const rows = await db
    .selectFrom('channel_members as mine')
    .innerJoin('channels', 'channels.id', 'mine.channel_id')
    .leftJoin('read_states', (join) => join.onRef('read_states.channel_id', '=', 'channels.id').onRef('read_states.user_id', '=', 'mine.user_id'))
    .leftJoin('channel_members as theirs', (join) => join.onRef('theirs.channel_id', '=', 'channels.id').onRef('theirs.user_id', '!=', 'mine.user_id'))
    .selectAll('channels')
    .select(['mine.user_id as member_id', 'mine.state', 'read_states.last_message_id as read_id', 'theirs.user_id as recipient_id'])
    .where('mine.user_id', 'in', userIds)
    .where('channels.type', 'in', [ChannelType.DM, ChannelType.GROUP_DM])
    .where('mine.state', '!=', 'declined')
    .orderBy('channels.last_message_id', 'desc')
    .orderBy('channels.id')
    .execute();
  const byUser = new Map<Snowflake, DmMembership[]>();
  // One row per recipient: a channel's rows come one after another.
  for (const { member_id, recipient_id, ...channel } of rows) {
    const mine = byUser.get(member_id) ?? [];
    if (!byUser.has(member_id)) byUser.set(member_id, mine);
    let dm = mine.at(-1);
    if (dm?.id !== channel.id) mine.push((dm = { ...channel, recipient_ids: [] }));
    if (recipient_id !== null) dm.recipient_ids.push(recipient_id);
  }
  return byUser;
}

/** Whether a DM in this state is in the user's list: not closed (hidden) or declined. */
export const listedDm = (dm: Pick<DmMembership, 'state'>): boolean => dm.state === 'accepted' || dm.state === 'request';

/**
 * The DMs and group DMs a user sees (listedDm), with their recipients. READY passes what it read
 * already: the user's DMs (dmMembershipsOfMany) and a reader of users shared by identifies.
 */
export async function privateChannelsOf(
  db: Kysely<Tables>,
  userId: Snowflake,
  known: { dms?: readonly DmMembership[]; usersByIds?: (ids: readonly Snowflake[]) => Promise<Map<Snowflake, UserRow>> } = {},
): Promise<Channel[]> {
  const mine = (known.dms ?? (await dmMembershipsOfMany(db, [userId])).get(userId) ?? []).filter(listedDm);
  if (mine.length === 0) return [];
  const users = await (known.usersByIds ?? ((ids) => usersByIds(db, ids)))([...new Set(mine.flatMap((dm) => dm.recipient_ids))]);
  return mine.map(({ state, recipient_ids, ...channel }) =>
    toChannel(channel, {
      recipients: recipient_ids.flatMap((id) => (users.has(id) ? [toUser(users.get(id)!)] : [])),
      messageRequest: state === 'request',
    }),
  );
}
