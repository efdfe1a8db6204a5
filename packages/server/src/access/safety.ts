import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Audience } from '../bus/event-log';
import type { ChannelRow, Tables, UserRow } from '../db/tables';
import { ApiError } from '../http/errors';
import { readersAmong } from './audience';
import { isDirect } from './channel-kinds';

/**
 * The safety policy's part of "who sees what" (features/safety): a message held for review is
 * withheld from the minors who may read its channel, and shown to everyone else; an appeal is
 * decided only by an admin who did not act on the block (a fair hearing).
 */

/** Whether a held message's content is withheld from this viewer: minors only. */
export function heldFrom(viewer: Pick<UserRow, 'minor'>): boolean {
  return viewer.minor === 1;
}

/**
 * The minors who may read a channel's contents: a DM's recipients marked as minors (but one who
 * declined it), or a server's minor members the access rules let read the channel. Asked only
 * when a message is held, never on the ordinary send path.
 */
export async function minorReaders(db: Kysely<Tables>, channel: ChannelRow, parent: ChannelRow | null): Promise<Snowflake[]> {
  if (isDirect(channel.type)) {
    const rows = await db
      .selectFrom('channel_members')
      .innerJoin('users', 'users.id', 'channel_members.user_id')
      .select('users.id')
      .where('channel_members.channel_id', '=', channel.id)
      .where('channel_members.state', '!=', 'declined')
      .where('users.minor', '=', 1)
      .execute();
    return rows.map((r) => r.id);
  }
  const minors = await db
    .selectFrom('members')
    .innerJoin('users', 'users.id', 'members.user_id')
    .select('users.id')
    .where('members.guild_id', '=', channel.guild_id!)
    .where('users.minor', '=', 1)
    .execute();
  return readersAmong(
    db,
    channel,
    parent,
    minors.map((m) => m.id),
  );
}

/** An audience without some users: those named are taken out of a user list, or excepted from a guild's. */
export function audienceWithout(to: Audience, users: readonly Snowflake[]): Audience {
  if (users.length === 0) return to;
  const out = new Set(users);
  return {
    ...to,
    ...(to.users && { users: to.users.filter((u) => !out.has(u)) }),
    ...(to.guilds && { exceptUsers: [...new Set([...(to.exceptUsers ?? []), ...users])] }),
  };
}

/** A fair hearing: an admin who confirmed the block or resolved its report may not decide its appeal. */
export function requireImpartial(adminId: Snowflake, actedBy: readonly Snowflake[]): void {
  if (actedBy.includes(adminId)) throw new ApiError('SAFETY_SAME_ADMIN');
}
