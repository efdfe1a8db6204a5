import { type DispatchName, type DispatchPayload, type GuildCreate, type GuildSubscribe, Limits, type Ready, type Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { ParleyCache } from './cache';
import { GatewayClient } from './gateway';
import { ONLINE_LIST, PresenceFollower } from './presence-follow';

/** A gateway that never connects: the test hands out its events and records the op 14s it would send. */
class ScriptedGateway extends GatewayClient {
  readonly sent: GuildSubscribe[] = [];
  constructor() {
    super({ url: 'ws://unused', token: 'unused', WebSocket: class {} as never });
  }
  deliver<T extends DispatchName>(t: T, d: DispatchPayload<T>): void {
    this.emit(t, d as never);
  }
  override followPresences(d: GuildSubscribe): void {
    this.sent.push(d);
  }
}

const sf = (id: string) => id as Snowflake;
const guild = (id: string, large: boolean) => ({ id: sf(id), large, channels: [], members: [], presences: [] }) as unknown as GuildCreate;
const ready = (guilds: GuildCreate[]) => ({ v: 10, user: { id: sf('1') }, guilds, private_channels: [], read_states: [], session_id: 's', resume_gateway_url: 'ws://unused' }) as unknown as Ready;

describe('PresenceFollower', () => {
  it('asks only in large servers, again after READY and RESUMED, and stops when told', () => {
    const gateway = new ScriptedGateway();
    const follower = new PresenceFollower(gateway);
    gateway.deliver('READY', ready([guild('10', true), guild('20', false)]));
    const stopLarge = follower.follow(sf('10'));
    follower.follow(sf('20'));
    // A small server sends every presence anyway: nothing asked there.
    expect(gateway.sent).toEqual([{ guild_id: '10', online: ONLINE_LIST }]);
    gateway.deliver('RESUMED', null);
    gateway.deliver('READY', ready([guild('10', true), guild('20', false)]));
    expect(gateway.sent).toHaveLength(3);
    stopLarge();
    expect(gateway.sent.at(-1)).toEqual({ guild_id: '10' });
    gateway.deliver('RESUMED', null);
    expect(gateway.sent).toHaveLength(4);
  });

  it('follows a member list: the online list and the rows in view, at most presenceMembersMax of them', () => {
    const gateway = new ScriptedGateway();
    const follower = new PresenceFollower(gateway);
    gateway.deliver('READY', ready([guild('10', true)]));
    const first = follower.followMemberList(sf('10'));
    expect(gateway.sent).toEqual([{ guild_id: '10', online: ONLINE_LIST }]);
    const rows = Array.from({ length: Limits.presenceMembersMax + 5 }, (_, i) => sf(String(1000 + i)));
    follower.followMemberList(sf('10'), rows);
    expect(gateway.sent.at(-1)).toEqual({ guild_id: '10', online: ONLINE_LIST, members: rows.slice(0, Limits.presenceMembersMax) });
    // The earlier interest was replaced: stopping it sends nothing.
    first();
    expect(gateway.sent).toHaveLength(2);
  });

  it('keeps what GUILD_PRESENCES says in the cache: statuses and the online count', () => {
    const gateway = new ScriptedGateway();
    const cache = new ParleyCache(gateway);
    gateway.deliver('READY', ready([guild('10', true)]));
    gateway.deliver('GUILD_PRESENCES', {
      guild_id: sf('10'),
      snapshot: true,
      online_count: 2,
      presences: [
        { user: { id: sf('7') }, status: 'idle' },
        { user: { id: sf('8') }, status: 'offline' },
      ],
    });
    expect(cache.presences.get(sf('7'))).toBe('idle');
    expect(cache.presences.has(sf('8'))).toBe(false);
    gateway.deliver('GUILD_PRESENCES', { guild_id: sf('10'), snapshot: false, online_count: 1, presences: [{ user: { id: sf('7') }, status: 'offline' }] });
    expect(cache.presences.has(sf('7'))).toBe(false);
    expect(cache.onlineCounts.get(sf('10'))).toBe(1);
  });
});
