import type { Snowflake, VoiceState } from '@parley/protocol';
import type { Flag, Tables, VoiceStateRow } from '../../db/tables';
import type { Kysely } from 'kysely';

/** A voice state with its member's server mute and deafen (members.mute/deaf), when loaded with them. */
export type VoiceStateWithFlags = VoiceStateRow & { mute?: Flag | null; deaf?: Flag | null };

/**
 * A stored voice state in Discord's shape. GUILD_CREATE leaves guild_id out, as Discord does.
 * Server mute and deafen live on the member: pass rows joined with them.
 */
export function toVoiceState(row: VoiceStateWithFlags, options: { withGuild: boolean } = { withGuild: true }): VoiceState {
  return {
    ...(options.withGuild && row.guild_id && { guild_id: row.guild_id }),
    channel_id: row.channel_id,
    user_id: row.user_id,
    session_id: row.session_id,
    deaf: row.deaf === 1,
    mute: row.mute === 1,
    self_mute: row.self_mute === 1,
    self_deaf: row.self_deaf === 1,
    self_video: row.self_video === 1,
    self_stream: row.self_stream === 1,
    suppress: row.suppress === 1,
    request_to_speak_timestamp: row.request_to_speak_at == null ? null : new Date(row.request_to_speak_at).toISOString(),
    public_key: row.public_key,
  };
}

/** The event that says a user left a call: their last state, in no channel. */
export function leftVoiceState(row: VoiceStateWithFlags): VoiceState {
  return { ...toVoiceState(row), channel_id: null };
}

export const parseIds = (json: string): Snowflake[] => JSON.parse(json) as Snowflake[];

/** A guild member's server mute and deafen (false in DMs, or for someone no longer a member). */
export async function serverFlags(db: Kysely<Tables>, guildId: Snowflake | null, userId: Snowflake): Promise<{ mute: Flag; deaf: Flag }> {
  if (!guildId) return { mute: 0, deaf: 0 };
  const row = await db.selectFrom('members').select(['mute', 'deaf']).where('guild_id', '=', guildId).where('user_id', '=', userId).executeTakeFirst();
  return { mute: row?.mute ? 1 : 0, deaf: row?.deaf ? 1 : 0 };
}
