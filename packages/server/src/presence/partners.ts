import { ChannelType, type Presence, RelationshipType, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { ChannelMemberState, Tables } from '../db/tables';
import { event, type OutgoingEvent } from '../events/publisher';
import { toPresence } from './payload';
import type { PresenceStore } from './presence-store';

/**
 * Who sees a user's presence besides the people in their servers: the people they talk to in
 * DMs and group DMs, once both sides are in the conversation (the sender, and a recipient who
 * accepted: a message request shows nothing either way until accepted), and neither blocked
 * the other. Closing a DM (hidden) keeps it.
 */
/** The states in which a conversation makes its members partners: both in it (hidden: closed, but kept). */
const PARTNER_STATES: ChannelMemberState[] = ['accepted', 'hidden'];

async function dmPartnersOf(db: Kysely<Tables>, userId: Snowflake): Promise<Snowflake[]> {
  return (await dmPartnersOfMany(db, [userId])).get(userId) ?? [];
}

/** dmPartnersOf for several users in one statement (identifies under way at once). */
export async function dmPartnersOfMany(db: Kysely<Tables>, userIds: readonly Snowflake[]): Promise<Map<Snowflake, Snowflake[]>> {
  const rows = await db
    .selectFrom('channel_members as mine')
    .innerJoin('channels', 'channels.id', 'mine.channel_id')
    .innerJoin('channel_members as theirs', 'theirs.channel_id', 'mine.channel_id')
    .select(['mine.user_id as member_id', 'theirs.user_id'])
    .distinct()
    .where('mine.user_id', 'in', userIds)
    .whereRef('theirs.user_id', '!=', 'mine.user_id')
    .where('channels.type', 'in', [ChannelType.DM, ChannelType.GROUP_DM])
    .where('mine.state', 'in', PARTNER_STATES)
    .where('theirs.state', 'in', PARTNER_STATES)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('relationships')
            .select('relationships.user_id')
            .where('relationships.type', '=', RelationshipType.BLOCKED)
            .where((inner) =>
              inner.or([
                inner.and([inner('relationships.user_id', '=', inner.ref('mine.user_id')), inner('relationships.other_id', '=', inner.ref('theirs.user_id'))]),
                inner.and([inner('relationships.user_id', '=', inner.ref('theirs.user_id')), inner('relationships.other_id', '=', inner.ref('mine.user_id'))]),
              ]),
            ),
        ),
      ),
    )
    .execute();
  const byUser = new Map<Snowflake, Snowflake[]>();
  for (const { member_id, user_id } of rows) byUser.set(member_id, [...(byUser.get(member_id) ?? []), user_id]);
  return byUser;
}

/** Whether someone in these DMs (dmMembershipsOfMany's) may have partners: someone in no conversation has none to look for. */
export const mayHavePartners = (dms: readonly { state: ChannelMemberState }[]): boolean => dms.some((dm) => PARTNER_STATES.includes(dm.state));

/** READY's `presences`: the DM partners who are online, idle or do-not-disturb. */
export async function partnerPresences(db: Kysely<Tables>, presence: PresenceStore, userId: Snowflake, known?: Snowflake[]): Promise<Presence[]> {
  const partners = known ?? (await dmPartnersOf(db, userId));
  if (!partners.length) return [];
  const visible = await presence.visible(partners);
  return [...visible].filter(([, status]) => status !== 'offline').map(([id, status]) => toPresence(id, status));
}

/** A user's presence change for their DM partners (no guild_id: it is not about a server). */
export async function partnerPresenceEvents(db: Kysely<Tables>, userId: Snowflake, status: Presence['status'], known?: Snowflake[]): Promise<OutgoingEvent<'PRESENCE_UPDATE'>[]> {
  const partners = known ?? (await dmPartnersOf(db, userId));
  return partners.length ? [event('PRESENCE_UPDATE', toPresence(userId, status), { users: partners })] : [];
}

/**
 * Two people who just became DM partners (a message request accepted) learn each other's
 * current presence, each only if the other now counts them as a partner.
 */
export async function introducePresences(db: Kysely<Tables>, presence: PresenceStore, a: Snowflake, b: Snowflake): Promise<OutgoingEvent<'PRESENCE_UPDATE'>[]> {
  if (!(await dmPartnersOf(db, a)).includes(b)) return [];
  const visible = await presence.visible([a, b]);
  return [event('PRESENCE_UPDATE', toPresence(a, visible.get(a) ?? 'offline'), { users: [b] }), event('PRESENCE_UPDATE', toPresence(b, visible.get(b) ?? 'offline'), { users: [a] })];
}
