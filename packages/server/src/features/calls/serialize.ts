import type { Snowflake, VoiceState } from '@parley/protocol';
import type { VoiceStateRow } from '../../db/tables';

/** A stored voice state in Discord's shape. GUILD_CREATE leaves guild_id out, as Discord does. */
export function toVoiceState(row: VoiceStateRow, options: { withGuild: boolean } = { withGuild: true }): VoiceState {
  return {
    ...(options.withGuild && row.guild_id && { guild_id: row.guild_id }),
    channel_id: row.channel_id,
    user_id: row.user_id,
    session_id: row.session_id,
    deaf: false,
    mute: false,
    self_mute: row.self_mute === 1,
    self_deaf: row.self_deaf === 1,
    self_video: row.self_video === 1,
    self_stream: row.self_stream === 1,
    suppress: false,
    request_to_speak_timestamp: null,
    public_key: row.public_key,
  };
}

/** The event that says a user left a call: their last state, in no channel. */
export function leftVoiceState(row: VoiceStateRow): VoiceState {
  return { ...toVoiceState(row), channel_id: null };
}

export const parseIds = (json: string): Snowflake[] => JSON.parse(json) as Snowflake[];
