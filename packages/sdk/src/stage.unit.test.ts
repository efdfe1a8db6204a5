import {
  type Channel,
  ChannelType,
  DEFAULT_EVERYONE_PERMISSIONS,
  type Guild,
  type Member,
  OverwriteType,
  Permissions,
  type PrivateUser,
  type Snowflake,
  type VoiceState,
  routes,
} from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { isStage, isStageModerator, ownStageOffer, setHand, setOwnSuppress, setSuppress, stageLayout, stageModerationOffer } from './stage';

const sf = (id: string) => id as Snowflake;
const guildId = sf('10');
const stage = { id: sf('30'), type: ChannelType.GUILD_STAGE_VOICE, guild_id: guildId, permission_overwrites: [] } as unknown as Channel;
const voice = { id: sf('31'), type: ChannelType.GUILD_VOICE, guild_id: guildId } as Channel;
const modRole = { id: sf('11'), permissions: String(Permissions.MUTE_MEMBERS) };

/** A cache where the signed-in user `me` holds @everyone's defaults, plus Mute Members if `moderator`. */
function cache(me: string, options: { moderator?: boolean; channel?: Channel } = {}) {
  const guild = { id: guildId, owner_id: sf('99'), mfa_level: 0, roles: [{ id: guildId, permissions: String(DEFAULT_EVERYONE_PERMISSIONS) }, modRole] } as unknown as Guild;
  const member = { user: { id: sf(me) }, roles: options.moderator ? [modRole.id] : [] } as unknown as Member;
  const channel = options.channel ?? stage;
  return {
    user: { id: sf(me), mfa_enabled: false } as PrivateUser,
    guilds: new Map([[guildId, guild]]),
    members: new Map([[guildId, new Map([[sf(me), member]])]]),
    channels: new Map([[channel.id, channel]]),
  };
}

function state(userId: string, extra: Partial<VoiceState> = {}): VoiceState {
  return {
    guild_id: guildId,
    channel_id: stage.id,
    user_id: sf(userId),
    session_id: `s${userId}`,
    deaf: false,
    mute: false,
    self_mute: false,
    self_deaf: false,
    self_video: false,
    self_stream: false,
    suppress: true,
    request_to_speak_timestamp: null,
    public_key: null,
    ...extra,
  };
}

describe('stage layout', () => {
  it('puts speakers on top and the audience below, raised hands first, longest waiting first', () => {
    const host = state('1', { suppress: false });
    const quiet = state('2');
    const late = state('3', { request_to_speak_timestamp: '2026-12-05T21:00:10.000Z' });
    const early = state('4', { request_to_speak_timestamp: '2026-12-05T21:00:01.000Z' });
    const guest = state('5', { suppress: false });
    const layout = stageLayout([host, quiet, late, early, guest]);
    expect(layout.speakers.map((s) => s.user_id)).toEqual(['1', '5']);
    expect(layout.raisedHands.map((s) => s.user_id)).toEqual(['4', '3']);
    expect(layout.audience.map((s) => s.user_id)).toEqual(['4', '3', '2']);
  });

  it('knows a stage from a voice channel', () => {
    expect(isStage(stage)).toBe(true);
    expect(isStage(voice)).toBe(false);
    expect(isStage(null)).toBe(false);
  });
});

describe('what a participant may do with their own place', () => {
  it('offers a listener to raise a hand, then to lower it', () => {
    expect(ownStageOffer(cache('2'), stage, state('2'))).toEqual({ raiseHand: true, lowerHand: false, stepDown: false, stepUp: false });
    expect(ownStageOffer(cache('2'), stage, state('2', { request_to_speak_timestamp: '2026-12-05T21:00:00.000Z' }))).toEqual({ raiseHand: false, lowerHand: true, stepDown: false, stepUp: false });
  });

  it('offers no hand without Request to Speak', () => {
    const denied = { ...stage, permission_overwrites: [{ id: guildId, type: OverwriteType.ROLE, allow: '0', deny: String(Permissions.REQUEST_TO_SPEAK) }] } as Channel;
    expect(ownStageOffer(cache('2', { channel: denied }), denied, state('2')).raiseHand).toBe(false);
  });

  it('offers a speaker to move to the audience, and a moderator in the audience to speak', () => {
    expect(ownStageOffer(cache('2'), stage, state('2', { suppress: false }))).toEqual({ raiseHand: false, lowerHand: false, stepDown: true, stepUp: false });
    expect(ownStageOffer(cache('1', { moderator: true }), stage, state('1'))).toEqual({ raiseHand: false, lowerHand: false, stepDown: false, stepUp: true });
  });

  it('offers nothing outside a stage or to someone not in it', () => {
    expect(ownStageOffer(cache('2', { channel: voice }), voice, state('2', { channel_id: voice.id }))).toEqual({ raiseHand: false, lowerHand: false, stepDown: false, stepUp: false });
    expect(ownStageOffer(cache('2'), stage, null).raiseHand).toBe(false);
    expect(ownStageOffer(cache('2'), stage, state('2', { channel_id: voice.id })).raiseHand).toBe(false);
  });
});

describe('what a moderator may do to others', () => {
  it('lets Mute Members invite a listener and move a speaker to the audience', () => {
    const host = cache('1', { moderator: true });
    expect(isStageModerator(host, stage)).toBe(true);
    expect(stageModerationOffer(host, stage, state('2', { request_to_speak_timestamp: '2026-12-05T21:00:00.000Z' }))).toEqual({ inviteToSpeak: true, moveToAudience: false });
    expect(stageModerationOffer(host, stage, state('3', { suppress: false }))).toEqual({ inviteToSpeak: false, moveToAudience: true });
    // Themselves: that is ownStageOffer's.
    expect(stageModerationOffer(host, stage, state('1', { suppress: false }))).toEqual({ inviteToSpeak: false, moveToAudience: false });
  });

  it('offers nothing to members without Mute Members', () => {
    const listener = cache('2');
    expect(isStageModerator(listener, stage)).toBe(false);
    expect(stageModerationOffer(listener, stage, state('3'))).toEqual({ inviteToSpeak: false, moveToAudience: false });
    expect(stageModerationOffer(listener, stage, state('3', { suppress: false }))).toEqual({ inviteToSpeak: false, moveToAudience: false });
  });
});

describe('requests', () => {
  function recorder() {
    const calls: { route: unknown; args: unknown }[] = [];
    const rest = { request: (route: unknown, args: unknown) => (calls.push({ route, args }), Promise.resolve(null)) } as never;
    return { calls, rest };
  }

  it('raise and lower a hand, step down, invite and move, in Discord’s shapes', async () => {
    const { calls, rest } = recorder();
    await setHand(rest, stage, true, Date.parse('2026-12-05T21:00:00.000Z'));
    await setHand(rest, stage, false);
    await setOwnSuppress(rest, stage, true);
    await setSuppress(rest, stage, sf('2'), false);
    expect(calls).toEqual([
      { route: routes.stage.updateOwnVoiceState, args: { params: { guild_id: guildId }, body: { channel_id: stage.id, request_to_speak_timestamp: '2026-12-05T21:00:00.000Z' } } },
      { route: routes.stage.updateOwnVoiceState, args: { params: { guild_id: guildId }, body: { channel_id: stage.id, request_to_speak_timestamp: null } } },
      { route: routes.stage.updateOwnVoiceState, args: { params: { guild_id: guildId }, body: { channel_id: stage.id, suppress: true } } },
      { route: routes.stage.updateVoiceState, args: { params: { guild_id: guildId, user_id: '2' }, body: { channel_id: stage.id, suppress: false } } },
    ]);
  });
});
