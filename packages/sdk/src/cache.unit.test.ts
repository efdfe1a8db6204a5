import type { DispatchName, DispatchPayload, GuildCreate, Ready, Snowflake, User, VoiceState } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { ParleyCache } from './cache';
import { GatewayClient } from './gateway';

/** A gateway that never connects: the test hands the cache its events. */
class ScriptedGateway extends GatewayClient {
  constructor() {
    super({ url: 'ws://unused', token: 'unused', WebSocket: class {} as never });
  }
  deliver<T extends DispatchName>(t: T, d: DispatchPayload<T>): void {
    this.emit(t, d as never);
  }
}

const sf = (id: string) => id as Snowflake;
const user = { id: sf('1'), username: 'ada', global_name: null, avatar: null } as Ready['user'];
const ready = (extra: Partial<Ready> = {}): Ready => ({
  v: 10,
  user,
  guilds: [],
  private_channels: [],
  read_states: [],
  blocked_user_ids: [],
  session_id: 's',
  resume_gateway_url: 'ws://unused',
  ...extra,
});

describe('the cache', () => {
  it('takes the presences READY carries (DM partners outside shared servers)', () => {
    const gateway = new ScriptedGateway();
    const cache = new ParleyCache(gateway);
    gateway.deliver(
      'READY',
      ready({
        presences: [
          { user: { id: sf('7') }, status: 'idle', activities: [], client_status: {} },
          { user: { id: sf('8') }, status: 'offline', activities: [], client_status: {} },
        ],
      } as Partial<Ready>),
    );
    expect(cache.presences.get(sf('7'))).toBe('idle');
    expect(cache.presences.has(sf('8'))).toBe(false);
  });

  it("learns a large server's members from their messages, never over a newer copy", () => {
    const gateway = new ScriptedGateway();
    const cache = new ParleyCache(gateway);
    gateway.deliver('READY', ready());
    const author = { id: sf('9'), username: 'bo', global_name: null, avatar: null };
    const member = {
      nick: 'Bo',
      avatar: null,
      roles: [sf('3')],
      joined_at: '2026-01-01T00:00:00.000Z',
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      communication_disabled_until: null,
    };
    const message = { id: sf('50'), channel_id: sf('20'), guild_id: sf('10'), author, member, content: 'hi' } as unknown as DispatchPayload<'MESSAGE_CREATE'>;
    gateway.deliver('MESSAGE_CREATE', message);
    expect(cache.members.get(sf('10'))?.get(sf('9'))).toMatchObject({ nick: 'Bo', roles: ['3'], user: { username: 'bo' } });
    gateway.deliver('MESSAGE_CREATE', { ...message, id: sf('51'), member: { ...member, nick: 'stale' } });
    expect(cache.members.get(sf('10'))?.get(sf('9'))?.nick).toBe('Bo');
  });

  it('keeps notification settings from READY and from USER_GUILD_SETTINGS_UPDATE', () => {
    const gateway = new ScriptedGateway();
    const cache = new ParleyCache(gateway);
    const settings = { guild_id: sf('10'), message_notifications: 0 as const, muted: false, channel_overrides: [] };
    gateway.deliver('READY', ready({ user_guild_settings: { entries: [settings], partial: false } }));
    expect(cache.guildSettings.get(sf('10'))).toEqual(settings);
    gateway.deliver('USER_GUILD_SETTINGS_UPDATE', { ...settings, muted: true });
    expect(cache.guildSettings.get(sf('10'))?.muted).toBe(true);
  });

  it('does not let an ack of an older position clear newer unread mentions', () => {
    const gateway = new ScriptedGateway();
    const cache = new ParleyCache(gateway);
    gateway.deliver('READY', ready({ read_states: [{ id: sf('5'), last_message_id: sf('100'), unread_count: 1, mention_count: 1 }] }));
    // This device's own ack of message 100, echoed back after message 101 mentioned the user.
    gateway.deliver('MESSAGE_ACK', { channel_id: sf('5'), message_id: sf('100') });
    expect(cache.readStates.get(sf('5'))).toMatchObject({ unread_count: 1, mention_count: 1 });
    // Read further on another device: caught up.
    gateway.deliver('MESSAGE_ACK', { channel_id: sf('5'), message_id: sf('101') });
    expect(cache.readStates.get(sf('5'))).toEqual({ id: '5', last_message_id: '101', unread_count: 0, mention_count: 0 });
  });
});

describe('voice states in the cache', () => {
  /** Only what the cache reads of a GUILD_CREATE. */
  const guild = (id: string) => ({ id: sf(id), name: 'g', roles: [], channels: [], threads: [], members: [], presences: [] }) as unknown as GuildCreate;
  const voice = (userId: string, channelId: string | null, sessionId: string, extra: Partial<VoiceState> = {}): VoiceState => ({
    channel_id: channelId === null ? null : sf(channelId),
    user_id: sf(userId),
    session_id: sessionId,
    deaf: false,
    mute: false,
    self_mute: false,
    self_deaf: false,
    self_video: false,
    self_stream: false,
    suppress: false,
    request_to_speak_timestamp: null,
    public_key: null,
    ...extra,
  });

  it('takes guild states from GUILD_CREATE with their guild, then follows joins, changes and leaves', () => {
    const gateway = new ScriptedGateway();
    const cache = new ParleyCache(gateway);
    gateway.deliver('READY', ready());
    gateway.deliver('GUILD_CREATE', { ...guild('10'), voice_states: [voice('2', '20', 'a')] });
    expect(cache.voiceStatesIn(sf('20'))).toEqual([{ ...voice('2', '20', 'a'), guild_id: '10' }]);

    gateway.deliver('VOICE_STATE_UPDATE', voice('3', '20', 'b', { guild_id: sf('10') }));
    gateway.deliver('VOICE_STATE_UPDATE', voice('2', '20', 'a', { guild_id: sf('10'), self_mute: true }));
    expect(cache.voiceStatesIn(sf('20')).map((s) => [s.user_id, s.self_mute])).toEqual([
      ['2', true],
      ['3', false],
    ]);

    gateway.deliver('VOICE_STATE_UPDATE', voice('3', null, 'b', { guild_id: sf('10') }));
    expect(cache.voiceStatesIn(sf('20')).map((s) => s.user_id)).toEqual(['2']);

    gateway.deliver('GUILD_DELETE', { id: sf('10') });
    expect(cache.voiceStates.size).toBe(0);
  });

  it('moves a user between calls, and ignores a late leave of a session the user already replaced', () => {
    const gateway = new ScriptedGateway();
    const cache = new ParleyCache(gateway);
    gateway.deliver('READY', ready());
    gateway.deliver('VOICE_STATE_UPDATE', voice('2', '20', 'phone'));
    gateway.deliver('VOICE_STATE_UPDATE', voice('2', '21', 'laptop'));
    expect(cache.voiceStatesIn(sf('20'))).toEqual([]);
    gateway.deliver('VOICE_STATE_UPDATE', voice('2', null, 'phone'));
    expect(cache.voiceStatesIn(sf('21')).map((s) => s.session_id)).toEqual(['laptop']);
  });

  it('takes DM call states from CALL_CREATE and drops them at CALL_DELETE', () => {
    const gateway = new ScriptedGateway();
    const cache = new ParleyCache(gateway);
    gateway.deliver('READY', ready());
    gateway.deliver('CALL_CREATE', { channel_id: sf('30'), message_id: sf('31'), ringing: [sf('1')], region: 'local', voice_states: [voice('2', '30', 'a')] });
    expect(cache.voiceStatesIn(sf('30')).map((s) => s.user_id)).toEqual(['2']);
    gateway.deliver('CALL_DELETE', { channel_id: sf('30') });
    expect(cache.voiceStatesIn(sf('30'))).toEqual([]);
  });

  it("keeps a group DM's recipients as people are added and leave", () => {
    const gateway = new ScriptedGateway();
    const cache = new ParleyCache(gateway);
    const bob = { id: sf('2'), username: 'bob' } as User;
    const cleo = { id: sf('3'), username: 'cleo' } as User;
    gateway.deliver('READY', ready({ private_channels: [{ id: sf('40'), type: 3, name: null, recipients: [bob] }] }));
    gateway.deliver('CHANNEL_RECIPIENT_ADD', { channel_id: sf('40'), user: cleo });
    gateway.deliver('CHANNEL_RECIPIENT_ADD', { channel_id: sf('40'), user: cleo });
    expect(cache.channels.get(sf('40'))?.recipients?.map((r) => r.username)).toEqual(['bob', 'cleo']);
    gateway.deliver('CHANNEL_RECIPIENT_REMOVE', { channel_id: sf('40'), user: bob });
    expect(cache.channels.get(sf('40'))?.recipients?.map((r) => r.username)).toEqual(['cleo']);
  });
});
