import { ChannelType, type Member, type Snowflake, type VoiceState } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { callEntries } from './sidebar';

const sf = (id: string) => id as Snowflake;
const guildId = sf('10');
const member = (id: string, username: string) => [sf(id), { user: { id: sf(id), username, global_name: null }, nick: null, roles: [] } as unknown as Member] as const;
const state = (userId: string, channelId: string, extra: Partial<VoiceState> = {}) =>
  ({ user_id: sf(userId), channel_id: sf(channelId), suppress: false, request_to_speak_timestamp: null, ...extra }) as VoiceState;

function cache(states: VoiceState[]) {
  return {
    members: new Map([[guildId, new Map([member('1', 'ada'), member('2', 'bob'), member('3', 'cy')])]]),
    voiceStatesIn: (channelId: Snowflake) => states.filter((s) => s.channel_id === channelId),
  };
}

describe('calls in the side list', () => {
  it('shows a stage with its speakers first and raised hands marked', () => {
    const states = [state('2', '30', { suppress: true }), state('3', '30', { suppress: true, request_to_speak_timestamp: '2026-12-05T21:00:00.000Z' }), state('1', '30')];
    const rows = callEntries(cache(states), guildId, { id: sf('30'), name: 'Lecture', type: ChannelType.GUILD_STAGE_VOICE });
    expect(rows.map((r) => r.label)).toEqual(['~ Lecture (stage)', '  ada (speaker)', '  cy (hand raised)', '  bob']);
    expect(rows.every((r) => r.kind === 'call')).toBe(true);
  });

  it('shows an empty stage, and a voice channel only while someone is in it', () => {
    expect(callEntries(cache([]), guildId, { id: sf('30'), name: 'Lecture', type: ChannelType.GUILD_STAGE_VOICE }).map((r) => r.label)).toEqual(['~ Lecture (stage)']);
    expect(callEntries(cache([]), guildId, { id: sf('31'), name: 'Lounge', type: ChannelType.GUILD_VOICE })).toEqual([]);
    expect(callEntries(cache([state('2', '31')]), guildId, { id: sf('31'), name: 'Lounge', type: ChannelType.GUILD_VOICE }).map((r) => r.label)).toEqual(['= Lounge (voice)', '  bob']);
  });
});
