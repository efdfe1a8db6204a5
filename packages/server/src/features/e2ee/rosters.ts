import { ChannelType, type Snowflake } from '@parley/protocol';
import { guildListing } from '../../access/listing';
import type { AppContext } from '../../context';
import { event } from '../../events/publisher';

/*
 * The readers of an encrypted server's channels (docs/e2ee.md "Encrypted servers"). Such a
 * channel is read by whoever may view it, so its MLS group must hold exactly their devices. The
 * server keeps its `channel_members` rows (what the MLS routes check welcomes and device lists
 * against, as for a private channel's members) in step with VIEW_CHANNEL after every change that
 * can move it: a member joining or leaving, a role's permissions, a channel's overwrites, a
 * member's roles, a new channel. Then it tells the readers, before and after, once per channel
 * (E2EE_ROSTER_UPDATE): their devices add the newcomers' devices with their next message and
 * take the leavers' out at once. Frames sent grow with the readers of the channels that changed,
 * not with their square.
 */

export interface RosterChange {
  added: Snowflake[];
  removed: Snowflake[];
}

const INSERT_CHUNK = 500;

/**
 * Brings the readers of an encrypted server's channels in step with who may view them, for the
 * members `userIds` (all when left out) and the channels `channelIds` (all its text channels
 * when left out). `listing`: the guild's listing for those members, when the caller holds it
 * already. Does nothing in a server that is not encrypted.
 */
export async function syncRosters(
  ctx: AppContext,
  guildId: Snowflake,
  scope: { userIds?: readonly Snowflake[]; channelIds?: readonly Snowflake[]; listing?: Map<Snowflake, Set<Snowflake>> } = {},
): Promise<void> {
  const { db } = ctx;
  const guild = await db.selectFrom('guilds').select('e2ee').where('id', '=', guildId).executeTakeFirst();
  if (guild?.e2ee !== 1) return;
  let channelQuery = db.selectFrom('channels').select('id').where('guild_id', '=', guildId).where('type', '=', ChannelType.GUILD_TEXT).where('e2ee', '=', 1).where('private', '=', 0);
  if (scope.channelIds) channelQuery = channelQuery.where('id', 'in', [...scope.channelIds]);
  const channelIds = (await channelQuery.execute()).map((c) => c.id);
  if (channelIds.length === 0 || scope.userIds?.length === 0) return;

  let currentQuery = db.selectFrom('channel_members').select(['channel_id', 'user_id']).where('channel_id', 'in', channelIds);
  if (scope.userIds) currentQuery = currentQuery.where('user_id', 'in', [...scope.userIds]);
  const [listing, current] = await Promise.all([scope.listing ?? guildListing(db, guildId, scope.userIds), currentQuery.execute()]);

  const changes = new Map<Snowflake, RosterChange>(channelIds.map((id) => [id, { added: [], removed: [] }]));
  const held = new Set(current.map((r) => `${r.channel_id}:${r.user_id}`));
  for (const [userId, listed] of listing) {
    for (const channelId of channelIds) if (listed.has(channelId) && !held.has(`${channelId}:${userId}`)) changes.get(channelId)!.added.push(userId);
  }
  // Rows of people who may no longer view it, or are no longer in the server (absent from the listing).
  for (const row of current) if (!listing.get(row.user_id)?.has(row.channel_id)) changes.get(row.channel_id)!.removed.push(row.user_id);
  for (const [channelId, change] of changes) if (change.added.length === 0 && change.removed.length === 0) changes.delete(channelId);
  if (changes.size === 0) return;

  const now = ctx.clock.now();
  const rows = [...changes].flatMap(([channelId, { added }]) => added.map((userId) => ({ channel_id: channelId, user_id: userId, joined_at: now })));
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await trx
        .insertInto('channel_members')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['channel_id', 'user_id']).doNothing())
        .execute();
    }
    for (const [channelId, { removed }] of changes) {
      if (removed.length) await trx.deleteFrom('channel_members').where('channel_id', '=', channelId).where('user_id', 'in', removed).execute();
    }
  });
  await announceRosterChanges(ctx, guildId, changes);
}

/** E2EE_ROSTER_UPDATE for each changed channel, to its readers now and those who just left it. */
export async function announceRosterChanges(ctx: AppContext, guildId: Snowflake, changes: ReadonlyMap<Snowflake, RosterChange>): Promise<void> {
  if (changes.size === 0) return;
  const rows = await ctx.db
    .selectFrom('channel_members')
    .select(['channel_id', 'user_id'])
    .where('channel_id', 'in', [...changes.keys()])
    .execute();
  const readers = new Map<Snowflake, Set<Snowflake>>([...changes].map(([channelId, { removed }]) => [channelId, new Set(removed)]));
  for (const row of rows) readers.get(row.channel_id)!.add(row.user_id);
  const events = [...changes].map(([channelId, { added, removed }]) =>
    event('E2EE_ROSTER_UPDATE', { guild_id: guildId, channel_id: channelId, added, removed }, { users: [...readers.get(channelId)!] }),
  );
  await ctx.events.publish(...events);
}
