import type { Snowflake } from '@parley/protocol';
import { guildListing } from '../../access/listing';
import { guildOverwrites } from '../../access/access';
import type { AppContext } from '../../context';
import { event, type OutgoingEvent } from '../../events/publisher';
import { toChannel } from './serialize';
import { syncRosters } from '../e2ee/rosters';

/**
 * Runs a change to who may see what in a guild (a role's permissions, a channel's overwrites, a
 * member's roles) and tells the members whose channel list it changed: CHANNEL_CREATE for a
 * channel they may now see, CHANNEL_DELETE for one they no longer may (their client drops it;
 * its events stopped reaching them with the change, see access/audience.ts). Then brings an
 * encrypted server's readers in step (e2ee/rosters.ts) and takes out of calls whoever lost access
 * to theirs. `userIds` narrows it to members whose roles changed.
 */
export async function withRelisting<T>(ctx: AppContext, guildId: Snowflake, userIds: readonly Snowflake[] | undefined, change: () => Promise<T>): Promise<T> {
  const before = await guildListing(ctx.db, guildId, userIds);
  const result = await change();
  const after = await guildListing(ctx.db, guildId, userIds);
  await announceListingChanges(ctx, guildId, before, after);
  await syncRosters(ctx, guildId, { ...(userIds && { userIds }), listing: after });
  await ctx.calls.recheckGuild(guildId);
  return result;
}

async function announceListingChanges(ctx: AppContext, guildId: Snowflake, before: Map<Snowflake, Set<Snowflake>>, after: Map<Snowflake, Set<Snowflake>>): Promise<void> {
  const gained = new Map<Snowflake, Snowflake[]>();
  const lost = new Map<Snowflake, Snowflake[]>();
  const add = (into: Map<Snowflake, Snowflake[]>, channelId: Snowflake, userId: Snowflake) => into.set(channelId, [...(into.get(channelId) ?? []), userId]);
  for (const [userId, now] of after) {
    const was = before.get(userId) ?? new Set<Snowflake>();
    for (const channelId of now) if (!was.has(channelId)) add(gained, channelId, userId);
    for (const channelId of was) if (!now.has(channelId)) add(lost, channelId, userId);
  }
  if (gained.size === 0 && lost.size === 0) return;
  const ids = [...new Set([...gained.keys(), ...lost.keys()])];
  const [channels, overwrites, memberships] = await Promise.all([
    ctx.db.selectFrom('channels').selectAll().where('id', 'in', ids).execute(),
    guildOverwrites(ctx.db, guildId),
    ctx.db.selectFrom('channel_members').select(['channel_id', 'user_id']).where('channel_id', 'in', ids).execute(),
  ]);
  const joined = new Set(memberships.map((m) => `${m.channel_id}:${m.user_id}`));
  const events: OutgoingEvent[] = [];
  for (const channel of channels) {
    const shown = (joinedIt: boolean) => toChannel(channel, { joined: joinedIt, overwrites: overwrites.get(channel.id) ?? [] });
    const users = gained.get(channel.id) ?? [];
    // A private channel's `joined` differs per viewer; a public one's is the same for all.
    const members = users.filter((u) => channel.private === 1 && joined.has(`${channel.id}:${u}`));
    const others = users.filter((u) => !members.includes(u));
    if (members.length) events.push(event('CHANNEL_CREATE', shown(true), { users: members }));
    if (others.length) events.push(event('CHANNEL_CREATE', shown(false), { users: others }));
    const gone = lost.get(channel.id) ?? [];
    if (gone.length) events.push(event('CHANNEL_DELETE', shown(false), { users: gone }));
  }
  await ctx.events.publish(...events);
}
