import type { DispatchName, DispatchPayload, Ready, Snowflake } from '@parley/protocol';
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
