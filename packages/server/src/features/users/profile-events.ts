import type { PrivateUser, Snowflake } from '@parley/protocol';
import type { AppContext } from '../../context';
import { event } from '../../events/publisher';
import { loadMembers } from '../guilds/payloads';
import { getUserOrThrow } from './queries';
import { toPrivateUser } from './serialize';

/**
 * After a change to who someone is (name, avatar, bio, a guest becoming a full account): their
 * own sessions get USER_UPDATE, and each server they are in GUILD_MEMBER_UPDATE with the new
 * user, so names, avatars and badges change live everywhere they show. Returns the user as the
 * route answers it.
 */
export async function publishProfileChange(ctx: Pick<AppContext, 'db' | 'events'>, userId: Snowflake): Promise<PrivateUser> {
  const { db } = ctx;
  const user = toPrivateUser(await getUserOrThrow(db, userId));
  const memberships = await db.selectFrom('members').selectAll().where('user_id', '=', userId).execute();
  const members = await Promise.all(memberships.map(async (row) => ({ guildId: row.guild_id, member: (await loadMembers(db, row.guild_id, [row]))[0] })));
  await ctx.events.publish(
    event('USER_UPDATE', user, { users: [userId] }),
    ...members.flatMap(({ guildId, member }) => (member ? [event('GUILD_MEMBER_UPDATE', { ...member, guild_id: guildId }, { guilds: [guildId] })] : [])),
  );
  return user;
}
