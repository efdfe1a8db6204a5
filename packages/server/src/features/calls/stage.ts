import type { Snowflake, UpdateOwnVoiceStateBody, UpdateVoiceStateBody } from '@parley/protocol';
import type { AppContext } from '../../context';
import type { Flag, VoiceStateRow } from '../../db/tables';
import { event } from '../../events/publisher';
import { ApiError } from '../../http/errors';
import { type ChannelAccess, channelAccess } from '../../access/access';
import { channelAudience } from '../../access/audience';
import { requireOwnStageChange, requireStage, requireStageModeration, speakingFlags } from '../../access/stage';
import { serverFlags, toVoiceState } from './serialize';

/*
 * Stage channels (Discord's type 13): speakers and an audience in one call. Joining is op 4 as
 * for any call (calls.ts puts non-moderators in the audience: access/stage.ts); these are the
 * REST changes of a participant's place, PATCH /guilds/:id/voice-states/@me and /:user_id. Each
 * changes the stored `stage_suppress` and `request_to_speak_at`, recomputes what the participant
 * may do (suppressed: not heard, no camera or screen) and sends VOICE_STATE_UPDATE to everyone
 * who can see the channel. Who may do what is decided in access/stage.ts.
 */

type Ctx = Pick<AppContext, 'db' | 'clock' | 'events' | 'calls'>;

/** One's own place on a stage: raise or lower a hand, go to the audience, or (moderators) speak. */
export async function updateOwnStageState(ctx: Ctx, guildId: Snowflake, userId: Snowflake, body: UpdateOwnVoiceStateBody): Promise<void> {
  const access = await stageAccess(ctx, guildId, body.channel_id, userId);
  const state = await stateIn(ctx, userId, access);
  requireOwnStageChange(access.permissions, body);
  const toSpeak = body.suppress === false;
  const hand = body.request_to_speak_timestamp;
  await apply(ctx, access, access.permissions, state, {
    stage_suppress: body.suppress === undefined ? state.stage_suppress : body.suppress ? 1 : 0,
    // A raised hand is timed by the server (hands are ordered fairly whatever clients' clocks say);
    // becoming a speaker lowers it, as on Discord.
    request_to_speak_at: toSpeak ? null : hand === undefined ? state.request_to_speak_at : hand === null ? null : ctx.clock.now(),
  });
}

/** A stage moderator invites someone to speak (suppress false: their hand goes down) or moves them to the audience. */
export async function updateStageState(ctx: Ctx, guildId: Snowflake, actorId: Snowflake, targetId: Snowflake, body: UpdateVoiceStateBody): Promise<void> {
  const access = await stageAccess(ctx, guildId, body.channel_id, actorId);
  requireStageModeration(access.permissions, body);
  const state = await stateIn(ctx, targetId, access);
  // What the target may do there (Speak, Video) still applies to a speaker.
  const target = targetId === actorId ? access : await channelAccess(ctx.db, access.channel.id, targetId, ctx.clock.now()).catch(() => null);
  if (!target) throw new ApiError('UNKNOWN_VOICE_STATE');
  await apply(ctx, access, target.permissions, state, {
    stage_suppress: body.suppress === undefined ? state.stage_suppress : body.suppress ? 1 : 0,
    request_to_speak_at: body.suppress === undefined ? state.request_to_speak_at : null,
  });
}

/** The stage a route names, as the caller sees it: unknown (10003) if not theirs to see or not in this guild, 50024 if not a stage. */
async function stageAccess(ctx: Ctx, guildId: Snowflake, channelId: Snowflake, userId: Snowflake): Promise<ChannelAccess> {
  const access = await channelAccess(ctx.db, channelId, userId, ctx.clock.now());
  if (access.channel.guild_id !== guildId) throw new ApiError('UNKNOWN_CHANNEL');
  requireStage(access.channel);
  return access;
}

/** A participant's voice state in that stage, or 10065 (in no call, or in another channel). */
async function stateIn(ctx: Ctx, userId: Snowflake, access: ChannelAccess): Promise<VoiceStateRow> {
  const state = await ctx.db.selectFrom('voice_states').selectAll().where('user_id', '=', userId).executeTakeFirst();
  if (!state || state.channel_id !== access.channel.id) throw new ApiError('UNKNOWN_VOICE_STATE');
  return state;
}

async function apply(ctx: Ctx, access: ChannelAccess, permissions: bigint, state: VoiceStateRow, place: { stage_suppress: Flag; request_to_speak_at: number | null }): Promise<void> {
  const changes = { ...place, ...speakingFlags({ ...state, ...place }, permissions) };
  const updated = await ctx.db
    .updateTable('voice_states')
    .set(changes)
    .where('user_id', '=', state.user_id)
    .where('session_id', '=', state.session_id)
    .where('channel_id', '=', state.channel_id)
    .executeTakeFirst();
  // They left (or rejoined elsewhere) meanwhile.
  if (Number(updated.numUpdatedRows) === 0) throw new ApiError('UNKNOWN_VOICE_STATE');
  const server = await serverFlags(ctx.db, state.guild_id, state.user_id);
  const audience = await channelAudience(ctx.db, access.channel, null);
  await ctx.events.publish(event('VOICE_STATE_UPDATE', toVoiceState({ ...state, ...changes, ...server }), audience));
  // A call through the SFU: it forwards a new speaker's audio, and no longer a listener's.
  await ctx.calls.enforceSfu({ ...state, ...changes, ...server });
}
