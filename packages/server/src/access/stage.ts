import { ChannelType, Permissions, type UpdateOwnVoiceStateBody, type UpdateVoiceStateBody } from '@parley/protocol';
import type { Flag, VoiceStateRow } from '../db/tables';
import { ApiError } from '../http/errors';
import { requirePermission } from './access';

/*
 * Who may speak in a call, and who decides on a stage (features/calls/stage.ts):
 * - in any call, without Speak a participant is suppressed (nobody plays them), and without
 *   Video (STREAM) their camera and screen stay off whatever their client asks;
 * - on a stage (type 13), the audience is suppressed too, and shares neither camera nor screen:
 *   only speakers are seen and heard;
 * - stage moderators (Mute Members in the stage) join as speakers, everyone else in the audience;
 * - one's own voice state: moving to the audience is always allowed, becoming a speaker needs
 *   Mute Members, raising a hand needs Request to Speak (lowering it needs nothing);
 * - someone else's: Mute Members in the stage, either way (invite to speak, move to audience).
 */

/** Whether someone joining this channel with these permissions starts in a stage's audience. */
export function joinsStageSuppressed(channelType: number, permissions: bigint): Flag {
  if (channelType !== ChannelType.GUILD_STAGE_VOICE) return 0;
  return isStageModerator(permissions) ? 0 : 1;
}

/**
 * What the channel's permissions and a stage's audience make of a participant's flags: suppressed
 * without Speak or in the audience; camera and screen only with Video (STREAM), and never from
 * the audience (only speakers are seen). Without Speak in a voice channel one may still show a
 * camera or screen, as before stages.
 */
export function speakingFlags(state: Pick<VoiceStateRow, 'self_video' | 'self_stream' | 'stage_suppress'>, permissions: bigint) {
  const audience = state.stage_suppress === 1;
  const suppress = audience || (permissions & Permissions.SPEAK) !== Permissions.SPEAK;
  const video = !audience && (permissions & Permissions.STREAM) === Permissions.STREAM;
  return {
    self_video: video ? state.self_video : 0,
    self_stream: video ? state.self_stream : 0,
    suppress: suppress ? 1 : 0,
  } as const;
}

/** A stage moderator: Mute Members in the stage (Discord's rule). */
function isStageModerator(permissions: bigint): boolean {
  return (permissions & Permissions.MUTE_MEMBERS) === Permissions.MUTE_MEMBERS;
}

/** Throws unless the channel is a stage: 50024. */
export function requireStage(channel: { type: number }): void {
  if (channel.type !== ChannelType.GUILD_STAGE_VOICE) throw new ApiError('INVALID_CHANNEL_TYPE');
}

/**
 * Checks a change of one's own voice state on a stage, with one's permissions there: suppress
 * false (becoming a speaker) needs Mute Members, a raised hand Request to Speak.
 */
export function requireOwnStageChange(permissions: bigint, body: Pick<UpdateOwnVoiceStateBody, 'suppress' | 'request_to_speak_timestamp'>): void {
  if (body.suppress === false) requirePermission({ permissions }, Permissions.MUTE_MEMBERS);
  if (body.request_to_speak_timestamp) requirePermission({ permissions }, Permissions.REQUEST_TO_SPEAK);
}

/** Checks a change of someone else's voice state on a stage: Mute Members there, either way. */
export function requireStageModeration(permissions: bigint, _body: Pick<UpdateVoiceStateBody, 'suppress'>): void {
  requirePermission({ permissions }, Permissions.MUTE_MEMBERS);
}
