import type { Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Flag, Tables, VoiceStateRow } from '../../../db/tables';
import { serverFlags } from '../serialize';
import type { SfuAllowed } from './sfu';

/**
 * What the SFU forwards of a participant: the same rules every client applies in a mesh, but
 * held by the server: no audio while server-muted, server-deafened or suppressed (no Speak, a
 * stage's audience), no camera or screen unless their voice state says it is on (the server
 * already keeps those flags off where Video is not allowed).
 */
export function sendable(state: Pick<VoiceStateRow, 'suppress' | 'self_video' | 'self_stream'> & { mute: Flag; deaf: Flag }): SfuAllowed {
  return { audio: !(state.mute || state.deaf || state.suppress), camera: state.self_video === 1, screen: state.self_stream === 1 };
}

/** The same, read from the database (when a participant starts publishing). */
export async function allowedToSend(db: Kysely<Tables>, userId: Snowflake): Promise<SfuAllowed> {
  const state = await db.selectFrom('voice_states').selectAll().where('user_id', '=', userId).executeTakeFirst();
  if (!state) return { audio: false, camera: false, screen: false };
  return sendable({ ...state, ...(await serverFlags(db, state.guild_id, userId)) });
}
