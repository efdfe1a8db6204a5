import { type Channel, ChannelType, type Guild, type Message, type Snowflake } from '@parley/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Emitter } from './emitter';
import type { GatewayEvents } from './gateway';
import type { RestClient } from './rest';
import { type UnreadCache, UnreadTracker } from './unread';

const sf = (id: string) => id as Snowflake;
const me = { id: sf('1') } as UnreadCache['user'];
const guild = sf('100');
const general = { id: sf('10'), guild_id: guild, type: ChannelType.GUILD_TEXT, last_message_id: null } as unknown as Channel;
const random = { id: sf('11'), guild_id: guild, type: ChannelType.GUILD_TEXT, last_message_id: null } as unknown as Channel;
const dm = { id: sf('20'), type: ChannelType.DM, last_message_id: null } as unknown as Channel;

class Events extends Emitter<GatewayEvents> {
  fire<K extends keyof GatewayEvents>(name: K, payload: GatewayEvents[K]): void {
    this.emit(name, payload);
  }
}

const message = (id: string, channel: Channel, changes: Partial<Message> = {}): Message =>
  ({
    id: sf(id),
    channel_id: channel.id,
    guild_id: channel.guild_id,
    author: { id: sf('2') },
    content: 'hi',
    mentions: [],
    mention_roles: [],
    mention_everyone: false,
    ...changes,
  }) as unknown as Message;

function setUp(viewing: Snowflake | null = null) {
  const events = new Events();
  const cache: UnreadCache = {
    user: me,
    guilds: new Map([[guild, { id: guild, roles: [] } as unknown as Guild]]),
    members: new Map([[guild, new Map([[me!.id, { user: me, roles: [sf('500')] } as never]])]]),
    channels: new Map([general, random, dm].map((c) => [c.id, { ...c }])),
    readStates: new Map(),
  };
  const acks: { channel_id: string; message_id: string }[] = [];
  const rest = { request: (_route: unknown, input: { params: { channel_id: string; message_id: string } }) => (acks.push(input.params), Promise.resolve(null)) } as unknown as RestClient;
  const tracker = new UnreadTracker(rest, events, { cache: () => cache, isViewing: (id) => id === viewing });
  /** A message arrives: the cache moves the channel's last message (as ParleyCache does), then the tracker counts it. */
  const arrive = (m: Message) => {
    const channel = cache.channels.get(m.channel_id)!;
    cache.channels.set(channel.id, { ...channel, last_message_id: m.id });
    events.fire('MESSAGE_CREATE', m);
  };
  const channel = (id: Snowflake) => cache.channels.get(id)!;
  return { events, cache, tracker, acks, arrive, channel };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('unread counts', () => {
  it('counts messages after the last read one, and mentions of me, my roles or everyone', () => {
    const { tracker, arrive, channel } = setUp();
    expect(tracker.isUnread(channel(general.id))).toBe(false);
    arrive(message('1000', general));
    expect(tracker.isUnread(channel(general.id))).toBe(true);
    expect(tracker.mentions(general.id)).toBe(0);
    arrive(message('1001', general, { mentions: [{ id: sf('1') }] as Message['mentions'] }));
    arrive(message('1002', general, { mention_roles: [sf('500')] }));
    arrive(message('1003', general, { mention_everyone: true }));
    arrive(message('1004', general, { mention_roles: [sf('501')] }));
    expect(tracker.mentions(general.id)).toBe(3);
    expect(tracker.guildMentions(guild)).toBe(3);
    expect(tracker.guildUnread(guild)).toBe(true);
  });

  it('counts every DM message as a mention', () => {
    const { tracker, arrive } = setUp();
    arrive(message('1000', dm));
    arrive(message('1001', dm));
    expect(tracker.mentions(dm.id)).toBe(2);
    expect(tracker.totalMentions()).toBe(2);
  });

  it('takes read states from READY as they are', () => {
    const { tracker, cache, channel } = setUp();
    cache.channels.set(general.id, { ...general, last_message_id: sf('900') });
    cache.readStates.set(general.id, { id: general.id, last_message_id: sf('900'), unread_count: 0, mention_count: 0 });
    cache.channels.set(random.id, { ...random, last_message_id: sf('950') });
    cache.readStates.set(random.id, { id: random.id, last_message_id: sf('940'), unread_count: 1, mention_count: 1 });
    expect(tracker.isUnread(channel(general.id))).toBe(false);
    expect(tracker.isUnread(channel(random.id))).toBe(true);
    expect(tracker.guildMentions(guild)).toBe(1);
  });

  it('does not count a private channel the user is not in towards the server', () => {
    const { tracker, cache } = setUp();
    cache.channels.set(random.id, { ...random, private: true, joined: false, last_message_id: sf('950') });
    expect(tracker.guildUnread(guild)).toBe(false);
    cache.channels.set(random.id, { ...random, private: true, joined: true, last_message_id: sf('950') });
    expect(tracker.guildUnread(guild)).toBe(true);
  });

  it('treats my own message as read, and drops an older ack still waiting (it would move the read position back)', () => {
    const { tracker, arrive, acks, channel } = setUp();
    arrive(message('1000', general));
    tracker.markRead(general.id, sf('1000'));
    arrive(message('1001', general, { author: { id: sf('1') } as Message['author'] }));
    vi.runAllTimers();
    expect(acks).toEqual([]);
    expect(tracker.isUnread(channel(general.id))).toBe(false);
  });

  it('reads at once what arrives in the channel being viewed', () => {
    const { tracker, arrive, acks, channel } = setUp(general.id);
    arrive(message('1000', general, { mention_everyone: true }));
    expect(tracker.isUnread(channel(general.id))).toBe(false);
    expect(tracker.mentions(general.id)).toBe(0);
    vi.runAllTimers();
    expect(acks).toEqual([{ channel_id: general.id, message_id: '1000' }]);
  });
});

describe('marking read', () => {
  it('clears the counts at once and sends one ack per channel for a burst', () => {
    const { tracker, arrive, acks, channel } = setUp();
    arrive(message('1000', dm));
    arrive(message('1001', dm));
    tracker.markRead(dm.id, sf('1000'));
    tracker.markRead(dm.id, sf('1001'));
    expect(tracker.mentions(dm.id)).toBe(0);
    expect(tracker.isUnread(channel(dm.id))).toBe(false);
    expect(acks).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(acks).toEqual([{ channel_id: dm.id, message_id: '1001' }]);
  });

  it('sends nothing for a channel already read that far', () => {
    const { tracker, arrive, acks } = setUp();
    arrive(message('1000', general));
    tracker.markRead(general.id, sf('1000'));
    vi.runAllTimers();
    tracker.markRead(general.id, sf('999'));
    tracker.markRead(general.id, sf('1000'));
    vi.runAllTimers();
    expect(acks).toHaveLength(1);
  });

  it('counts from the new read position afterwards', () => {
    const { tracker, arrive } = setUp();
    arrive(message('1000', dm));
    tracker.markRead(dm.id, sf('1000'));
    arrive(message('1001', dm));
    expect(tracker.mentions(dm.id)).toBe(1);
  });

  it('stops counting and drops waiting acks when closed', () => {
    const { tracker, arrive, acks } = setUp();
    arrive(message('1000', dm));
    tracker.markRead(dm.id, sf('1000'));
    tracker.close();
    vi.runAllTimers();
    arrive(message('1001', dm));
    expect(acks).toEqual([]);
    expect(tracker.mentions(dm.id)).toBe(0);
  });
});
