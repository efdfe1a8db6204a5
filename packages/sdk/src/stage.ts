import { type Channel, ChannelType, Permissions, type Snowflake, type VoiceState, routes } from '@parley/protocol';
import { type Known, permissionsInChannel } from './permissions';
import type { RestClient } from './rest';

/*
 * `@parley/sdk/stage` (an entry point of its own: the web loads it with the stage view, not the
 * chat screen). Stage channels (type 13) as any client shows them: who speaks, who listens, whose hand is up,
 * and what the signed-in user may do about it, from the voice states and permissions the cache
 * holds (the server's own rules, access/stage.ts there; the server still decides). Discord's
 * semantics: `suppress` false is a speaker, true the audience; `request_to_speak_timestamp` set
 * is a raised hand; stage moderators hold Mute Members in the stage.
 */

export function isStage(channel: Pick<Channel, 'type'> | null | undefined): boolean {
  return channel?.type === ChannelType.GUILD_STAGE_VOICE;
}

/** A stage's people: speakers on top, the audience below with raised hands first (longest waiting first). */
export interface StageLayout {
  speakers: VoiceState[];
  audience: VoiceState[];
  /** The audience's raised hands, longest waiting first (also at the head of `audience`). */
  raisedHands: VoiceState[];
}

const handTime = (state: VoiceState) => (state.request_to_speak_timestamp ? Date.parse(state.request_to_speak_timestamp) : Infinity);

/** Splits a stage's voice states (in join order) into speakers, audience and raised hands. */
export function stageLayout(states: readonly VoiceState[]): StageLayout {
  const speakers = states.filter((s) => !s.suppress);
  const listeners = states.filter((s) => s.suppress);
  const raisedHands = listeners.filter((s) => s.request_to_speak_timestamp !== null).sort((a, b) => handTime(a) - handTime(b));
  const quiet = listeners.filter((s) => s.request_to_speak_timestamp === null);
  return { speakers, audience: [...raisedHands, ...quiet], raisedHands };
}

/** Whether the signed-in user moderates this stage: Mute Members there (invite to speak, move to the audience). */
export function isStageModerator(cache: Known, channel: Channel, now: number = Date.now()): boolean {
  return isStage(channel) && (permissionsInChannel(cache, channel, now) & Permissions.MUTE_MEMBERS) === Permissions.MUTE_MEMBERS;
}

/** What the signed-in user may do with their own place on a stage, given their voice state there. */
export interface OwnStageOffer {
  /** A listener whose hand is down, with Request to Speak. */
  raiseHand: boolean;
  /** A listener whose hand is up. */
  lowerHand: boolean;
  /** A speaker: back to the audience ("Move to audience" / "Leave stage"). */
  stepDown: boolean;
  /** A listener who moderates the stage: speak without being invited. */
  stepUp: boolean;
}

const NOTHING: OwnStageOffer = { raiseHand: false, lowerHand: false, stepDown: false, stepUp: false };

export function ownStageOffer(cache: Known, channel: Channel, mine: VoiceState | null | undefined, now: number = Date.now()): OwnStageOffer {
  if (!isStage(channel) || !mine || mine.channel_id !== channel.id) return NOTHING;
  const permissions = permissionsInChannel(cache, channel, now);
  const moderator = (permissions & Permissions.MUTE_MEMBERS) === Permissions.MUTE_MEMBERS;
  const mayAsk = (permissions & Permissions.REQUEST_TO_SPEAK) === Permissions.REQUEST_TO_SPEAK;
  const hand = mine.request_to_speak_timestamp !== null;
  if (!mine.suppress) return { ...NOTHING, stepDown: true };
  return { raiseHand: !hand && mayAsk && !moderator, lowerHand: hand, stepDown: false, stepUp: moderator };
}

/** What a stage moderator may do to another participant: invite a listener to speak, or move a speaker to the audience. */
export interface StageModerationOffer {
  inviteToSpeak: boolean;
  moveToAudience: boolean;
}

export function stageModerationOffer(cache: Known, channel: Channel, target: VoiceState, now: number = Date.now()): StageModerationOffer {
  const me = cache.user?.id;
  if (!isStage(channel) || target.channel_id !== channel.id || target.user_id === me || !isStageModerator(cache, channel, now)) return { inviteToSpeak: false, moveToAudience: false };
  return { inviteToSpeak: target.suppress, moveToAudience: !target.suppress };
}

type Rest = Pick<RestClient, 'request'>;
type StageChannel = Pick<Channel, 'id' | 'guild_id'>;

function guildOf(channel: StageChannel): Snowflake {
  if (!channel.guild_id) throw new Error('A stage belongs to a server');
  return channel.guild_id;
}

/** Raises (true) or lowers (false) the signed-in user's hand on a stage they are in. */
export function setHand(rest: Rest, channel: StageChannel, raised: boolean, now: number = Date.now()): Promise<void> {
  return rest.request(routes.stage.updateOwnVoiceState, {
    params: { guild_id: guildOf(channel) },
    body: { channel_id: channel.id, request_to_speak_timestamp: raised ? new Date(now).toISOString() : null },
  });
}

/** The signed-in user moves to the audience (`suppress` true) or, as a stage moderator, becomes a speaker (false). */
export function setOwnSuppress(rest: Rest, channel: StageChannel, suppress: boolean): Promise<void> {
  return rest.request(routes.stage.updateOwnVoiceState, { params: { guild_id: guildOf(channel) }, body: { channel_id: channel.id, suppress } });
}

/** A stage moderator invites someone to speak (`suppress` false) or moves them to the audience (true). */
export function setSuppress(rest: Rest, channel: StageChannel, userId: Snowflake, suppress: boolean): Promise<void> {
  return rest.request(routes.stage.updateVoiceState, { params: { guild_id: guildOf(channel), user_id: userId }, body: { channel_id: channel.id, suppress } });
}
