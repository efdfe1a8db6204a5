import { ChannelType, GatewayCloseCode, GatewayOpcode, type Snowflake, type VoiceStateUpdate, SDP_MAX_CHARS, routes } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { type Person, failure, joinGuild, makeGuild, signUp } from '../../testing/fixtures';
import { RawGateway } from '../../testing/raw-gateway';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * The rules of calls, through the gateway as clients use it: one call per channel, one call per
 * user across devices, permissions, the size limit, signaling relayed only within a call, bad
 * signaling refused, dropped devices, and DM calls that ring and leave a message.
 */

let server: TestServer;
const MAX = 3;
beforeAll(async () => {
  server = await startTestServer({ env: { CALL_MAX_PARTICIPANTS: String(MAX), CALL_RECONNECT_GRACE_SECONDS: '1', CALL_RING_SECONDS: '1', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' } });
});
afterAll(() => server.close());

/** Where a call happens: a voice channel in a guild, or a DM (guild_id null). */
type CallPlace = { id: Snowflake; guild_id?: Snowflake | null | undefined };

const join = (channel: CallPlace, extra: Partial<VoiceStateUpdate> = {}): VoiceStateUpdate => ({
  guild_id: channel.guild_id ?? null,
  channel_id: channel.id,
  self_mute: false,
  self_deaf: false,
  ...extra,
});
const leave = { guild_id: null, channel_id: null, self_mute: false, self_deaf: false };
const offer = { type: 'description' as const, description: { type: 'offer' as const, sdp: 'v=0\r\n' } };

/** Connects a person and waits until their join of `channel` is confirmed (their own VOICE_STATE_UPDATE). */
async function inCall(person: Person, channel: CallPlace, extra: Partial<VoiceStateUpdate> = {}): Promise<ParleyClient> {
  const live = await server.connect(person.client.token!);
  await joinFrom(live, person, channel, extra);
  return live;
}

async function joinFrom(live: ParleyClient, person: Person, channel: CallPlace, extra: Partial<VoiceStateUpdate> = {}): Promise<void> {
  const states = collect(live.gateway, 'VOICE_STATE_UPDATE');
  live.gateway.updateVoiceState(join(channel, extra));
  await states.until('own join', (s) => s.some((v) => v.user_id === person.userId && v.channel_id === channel.id && v.session_id === live.gateway.sessionId));
}

async function voiceGuild(members: number) {
  const made = await makeGuild(server, { members });
  const voice = await made.owner.client.request(routes.channels.create, { params: { guild_id: made.guild.id }, body: { name: 'Lounge', type: ChannelType.GUILD_VOICE } });
  return { ...made, voice };
}

const storedStates = (channelId: Snowflake) => server.db.database.db.selectFrom('voice_states').selectAll().where('channel_id', '=', channelId).execute();
const storedCall = (channelId: Snowflake) => server.db.database.db.selectFrom('calls').selectAll().where('channel_id', '=', channelId).executeTakeFirst();

describe('voice channels', () => {
  it('shows everyone in the server who is in the call, live and in GUILD_CREATE, and ends the call when the last one leaves', async () => {
    const { owner, guild, voice, members } = await voiceGuild(2);
    const watcher = await server.connect(members[1]!.client.token!);
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const a = await inCall(owner, voice, { self_mute: true, public_key: 'A'.repeat(43) });
    const b = await inCall(members[0]!, voice);
    await seen.until('both joins', (s) => s.filter((v) => v.channel_id === voice.id).length === 2);
    expect(seen.items[0]).toMatchObject({ guild_id: guild.id, channel_id: voice.id, user_id: owner.userId, session_id: a.gateway.sessionId, self_mute: true, public_key: 'A'.repeat(43) });
    expect(await storedCall(voice.id)).toBeDefined();

    // A newcomer's READY (its guilds are full GUILD_CREATEs for people) lists who is in the call.
    const newcomer = await joinGuild(server, owner, voice.id);
    const raw = await RawGateway.open(server.url);
    raw.identify(newcomer.client.token!);
    const ready = (await raw.dispatch('READY')).d as { guilds: { id: string; voice_states: { user_id: string; channel_id: string }[] }[] };
    const states = ready.guilds.find((g) => g.id === guild.id)!.voice_states;
    expect(states.map((v) => v.user_id).sort()).toEqual([owner.userId, members[0]!.userId].sort());
    expect(states.every((v) => v.channel_id === voice.id)).toBe(true);
    raw.close();

    // Flags change in place: same session, same channel.
    b.gateway.updateVoiceState(join(voice, { self_video: true, self_deaf: true }));
    await seen.until('flags', (s) => s.some((v) => v.user_id === members[0]!.userId && v.self_video && v.self_deaf));

    a.gateway.updateVoiceState(leave);
    await seen.until('owner leaves', (s) => s.some((v) => v.user_id === owner.userId && v.channel_id === null));
    expect(await storedCall(voice.id)).toBeDefined(); // one left: the call goes on
    b.gateway.updateVoiceState(leave);
    await seen.until('last leaves', (s) => s.some((v) => v.user_id === members[0]!.userId && v.channel_id === null));
    expect(await storedCall(voice.id)).toBeUndefined();
    expect(await storedStates(voice.id)).toEqual([]);
  });
});

describe('one call per user', () => {
  it('moves a device from one call to another, telling the first call it left', async () => {
    const { owner, guild, voice, members } = await voiceGuild(1);
    const other = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Studio', type: ChannelType.GUILD_VOICE } });
    const watcher = await server.connect(members[0]!.client.token!);
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const a = await inCall(owner, voice);
    await joinFrom(a, owner, other);
    await seen.until('leave then join', (s) => s.some((v) => v.user_id === owner.userId && v.channel_id === other.id));
    const mine = seen.items.filter((v) => v.user_id === owner.userId).map((v) => v.channel_id);
    expect(mine).toEqual([voice.id, null, other.id]);
    expect(await storedCall(voice.id)).toBeUndefined(); // its last participant moved away
    expect((await storedStates(other.id)).map((s) => s.user_id)).toEqual([owner.userId]);
  });

  it('takes the call away from the first device when the user joins from a second, and says why', async () => {
    const { owner, voice } = await voiceGuild(0);
    const phone = await inCall(owner, voice);
    const told = collect(phone.gateway, 'VOICE_DISCONNECTED');
    const laptop = await inCall(owner, voice);
    const [why] = await told.count(1);
    expect(why).toMatchObject({ channel_id: voice.id, reason: 'moved_to_other_device' });
    const [state] = await storedStates(voice.id);
    expect(state!.session_id).toBe(laptop.gateway.sessionId);
    // The phone no longer holds the call: its leave is ignored, its signals refused.
    phone.gateway.updateVoiceState(leave);
    const errors = collect(phone.gateway, 'VOICE_ERROR');
    phone.gateway.sendRtcSignal({ channel_id: voice.id, to_user_id: owner.userId as Snowflake, ...offer });
    expect((await errors.count(1))[0]!.code).toBe('NOT_IN_CALL');
    expect((await storedStates(voice.id)).map((s) => s.session_id)).toEqual([laptop.gateway.sessionId]);
  });
});

describe('who may join', () => {
  it('refuses text channels, other servers, private channels one is not in, and full calls, with a clear reason', async () => {
    const { owner, guild, general, voice, members } = await voiceGuild(MAX);
    const outsider = await voiceGuild(0);
    const secret = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Board', type: ChannelType.GUILD_VOICE, private: true } });
    const live = await server.connect(members[0]!.client.token!);
    const errors = collect(live.gateway, 'VOICE_ERROR');
    const attempts: [CallPlace, string][] = [
      [general, 'NOT_A_CALL_CHANNEL'],
      [{ id: voice.id, guild_id: outsider.guild.id }, 'NOT_A_CALL_CHANNEL'],
      [outsider.voice, 'UNKNOWN_CHANNEL'],
      [secret, 'MISSING_PERMISSIONS'],
      [{ id: '1234567890123' as Snowflake, guild_id: guild.id }, 'UNKNOWN_CHANNEL'],
    ];
    for (const [i, [channel, code]] of attempts.entries()) {
      live.gateway.updateVoiceState(join(channel));
      const got = (await errors.count(i + 1))[i]!;
      expect(got).toMatchObject({ channel_id: channel.id, code });
      expect(got.message.length).toBeGreaterThan(10);
    }
    expect(await storedStates(secret.id)).toEqual([]);

    // The size limit: MAX people fit, the next is told the call is full.
    await inCall(owner, voice);
    for (const m of members.slice(1)) await inCall(m, voice);
    live.gateway.updateVoiceState(join(voice));
    const full = (await errors.count(attempts.length + 1)).at(-1)!;
    expect(full).toMatchObject({ channel_id: voice.id, code: 'CALL_FULL' });
    expect(full.message).toContain(String(MAX));
    expect(await storedStates(voice.id)).toHaveLength(MAX);
  });

  it("ends a voice channel's call when the channel is deleted, and takes out who is removed from a private one", async () => {
    const { owner, guild, members } = await voiceGuild(1);
    const watcher = await server.connect(owner.client.token!);
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const secret = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Board', type: ChannelType.GUILD_VOICE, private: true } });
    await owner.client.request(routes.channels.addMember, { params: { channel_id: secret.id, user_id: members[0]!.userId as Snowflake } });
    const member = await inCall(members[0]!, secret);
    const told = collect(member.gateway, 'VOICE_DISCONNECTED');
    await owner.client.request(routes.channels.removeMember, { params: { channel_id: secret.id, user_id: members[0]!.userId as Snowflake } });
    expect((await told.count(1))[0]).toMatchObject({ channel_id: secret.id, reason: 'access_lost' });
    expect(await storedCall(secret.id)).toBeUndefined();

    const doomed = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Doomed', type: ChannelType.GUILD_VOICE } });
    await inCall(owner, doomed);
    await owner.client.request(routes.channels.delete, { params: { channel_id: doomed.id } });
    await seen.until('left the deleted channel', (s) => s.some((v) => v.user_id === owner.userId && v.channel_id === null));
    expect(await storedStates(doomed.id)).toEqual([]);
  });

  it('takes people out of a call in a server they leave', async () => {
    const { owner, voice, guild, members } = await voiceGuild(1);
    const watcher = await server.connect(owner.client.token!);
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const leaver = await inCall(members[0]!, voice);
    const told = collect(leaver.gateway, 'VOICE_DISCONNECTED');
    await members[0]!.client.request(routes.guilds.leave, { params: { guild_id: guild.id } });
    await seen.until('leave', (s) => s.some((v) => v.user_id === members[0]!.userId && v.channel_id === null));
    expect((await told.count(1))[0]!.reason).toBe('access_lost');
    expect(await storedCall(voice.id)).toBeUndefined();
  });
});

describe('signaling', () => {
  it("relays one sender's signals in the order they were sent (an offer before its candidates)", async () => {
    const { owner, voice, members } = await voiceGuild(1);
    const a = await inCall(owner, voice);
    const b = await inCall(members[0]!, voice);
    const toB = collect(b.gateway, 'RTC_SIGNAL');
    const sent = Array.from({ length: 30 }, (_, i) => `candidate:${i} 1 udp 1 127.0.0.1 ${5000 + i} typ host`);
    a.gateway.sendRtcSignal({ channel_id: voice.id, to_user_id: members[0]!.userId as Snowflake, ...offer });
    for (const candidate of sent) {
      a.gateway.sendRtcSignal({ channel_id: voice.id, to_user_id: members[0]!.userId as Snowflake, type: 'candidates', candidates: [{ candidate, sdpMid: '0', sdpMLineIndex: 0 }] });
    }
    const [description, ...candidates] = await toB.count(1 + sent.length);
    expect(description!.type).toBe('description');
    expect(candidates.map((s) => (s.type === 'candidates' ? s.candidates[0]!.candidate : s.type))).toEqual(sent);
  });

  it("relays offers, candidates and keys only to the other participant's call session", async () => {
    const { owner, voice, members } = await voiceGuild(2);
    const a = await inCall(owner, voice);
    const b = await inCall(members[0]!, voice);
    const bElsewhere = await server.connect(members[0]!.client.token!); // B's other device, not in the call
    const outsider = await server.connect(members[1]!.client.token!);
    const toB = collect(b.gateway, 'RTC_SIGNAL');
    const toBElsewhere = collect(bElsewhere.gateway, 'RTC_SIGNAL');
    const toA = collect(a.gateway, 'RTC_SIGNAL');

    a.gateway.sendRtcSignal({ channel_id: voice.id, to_user_id: members[0]!.userId as Snowflake, ...offer });
    a.gateway.sendRtcSignal({
      channel_id: voice.id,
      to_user_id: members[0]!.userId as Snowflake,
      type: 'candidates',
      candidates: [{ candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 }],
    });
    b.gateway.sendRtcSignal({ channel_id: voice.id, to_user_id: owner.userId as Snowflake, type: 'media_key', key: { key_id: 1, ciphertext: 'c2VhbGVk' } });
    const [description, candidates] = await toB.count(2);
    expect(description).toMatchObject({ channel_id: voice.id, from_user_id: owner.userId, from_session_id: a.gateway.sessionId, ...offer });
    expect(candidates).toMatchObject({ type: 'candidates', candidates: [{ sdpMid: '0' }] });
    expect((await toA.count(1))[0]).toMatchObject({ type: 'media_key', from_user_id: members[0]!.userId, key: { key_id: 1 } });

    // Someone outside the call can neither send into it nor be sent to.
    const outsiderErrors = collect(outsider.gateway, 'VOICE_ERROR');
    outsider.gateway.sendRtcSignal({ channel_id: voice.id, to_user_id: owner.userId as Snowflake, ...offer });
    const aErrors = collect(a.gateway, 'VOICE_ERROR');
    a.gateway.sendRtcSignal({ channel_id: voice.id, to_user_id: members[1]!.userId as Snowflake, ...offer });
    a.gateway.sendRtcSignal({ channel_id: voice.id, to_user_id: owner.userId as Snowflake, ...offer });
    expect((await outsiderErrors.count(1))[0]!.code).toBe('NOT_IN_CALL');
    expect((await aErrors.count(2)).map((e) => e.code)).toEqual(['NOT_IN_CALL', 'NOT_IN_CALL']);
    // A marker through the same path proves nothing else is on its way to A or B's other device.
    b.gateway.sendRtcSignal({ channel_id: voice.id, to_user_id: owner.userId as Snowflake, ...offer });
    await toA.count(2);
    expect(toA.items.map((s) => s.from_user_id)).toEqual([members[0]!.userId, members[0]!.userId]);
    expect(toBElsewhere.items).toEqual([]);
    expect(toB.items).toHaveLength(2);
  });

  it('closes the socket on malformed signaling and keeps it open for well-formed refusals', async () => {
    const { owner, voice } = await voiceGuild(0);
    const cases: unknown[] = [
      { channel_id: voice.id, to_user_id: owner.userId as Snowflake, type: 'description', description: { type: 'offer', sdp: 'x'.repeat(SDP_MAX_CHARS + 1) } },
      { channel_id: voice.id, to_user_id: owner.userId as Snowflake, type: 'candidates', candidates: [] },
      { channel_id: voice.id, to_user_id: owner.userId as Snowflake, type: 'candidates', candidates: Array.from({ length: 21 }, () => ({ candidate: '' })) },
      { channel_id: voice.id, to_user_id: owner.userId as Snowflake, type: 'media_key', key: { key_id: 256, ciphertext: 'abc' } },
      { channel_id: voice.id, to_user_id: owner.userId as Snowflake, type: 'shout' },
      { channel_id: 'general', to_user_id: owner.userId as Snowflake, ...offer },
    ];
    for (const d of cases) {
      const raw = await RawGateway.open(server.url);
      raw.identify(owner.client.token!);
      await raw.dispatch('READY');
      raw.send({ op: GatewayOpcode.RTC_SIGNAL, d });
      expect(await raw.closeCode()).toBe(GatewayCloseCode.DECODE_ERROR);
    }
    const badJoin = await RawGateway.open(server.url);
    badJoin.identify(owner.client.token!);
    await badJoin.dispatch('READY');
    badJoin.send({ op: GatewayOpcode.VOICE_STATE_UPDATE, d: { ...join(voice), public_key: 'not a key' } });
    expect(await badJoin.closeCode()).toBe(GatewayCloseCode.DECODE_ERROR);
    expect(await storedStates(voice.id)).toEqual([]);
  });
});

describe('devices that drop', () => {
  it('keeps the call of a session that resumes, and drops one that does not within the grace period', async () => {
    const { owner, voice, members } = await voiceGuild(1);
    const watcher = await server.connect(owner.client.token!);
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const b = await inCall(members[0]!, voice);
    const resumed = b.gateway.once('RESUMED');
    b.gateway.reconnect();
    await resumed;
    // It resumed: still in, and it keeps refreshing past several grace periods.
    const [state] = await storedStates(voice.id);
    expect(state!.session_id).toBe(b.gateway.sessionId);
    const seenBefore = state!.seen_at;
    await expect.poll(async () => (await storedStates(voice.id))[0]?.seen_at ?? 0, { timeout: 10_000 }).toBeGreaterThan(seenBefore + 1500);
    expect(seen.items.filter((v) => v.channel_id === null)).toEqual([]);

    // Gone for good (no clean close, no resume): out after the grace period.
    const raw = await RawGateway.open(server.url);
    const { client } = members[0]!;
    raw.identify(client.token!);
    await raw.dispatch('READY');
    raw.send({ op: GatewayOpcode.VOICE_STATE_UPDATE, d: join(voice) });
    await seen.until('raw join', (s) => s.filter((v) => v.channel_id === voice.id).length >= 2);
    raw.socket.terminate();
    await seen.until('timed out', (s) => s.some((v) => v.user_id === members[0]!.userId && v.channel_id === null), 15_000);
    expect(await storedCall(voice.id)).toBeUndefined();
  });

  it('leaves at once when the device closes cleanly', async () => {
    const { owner, voice, members } = await voiceGuild(1);
    const watcher = await server.connect(owner.client.token!);
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const b = await inCall(members[0]!, voice);
    b.gateway.close();
    await seen.until('left', (s) => s.some((v) => v.user_id === members[0]!.userId && v.channel_id === null));
  });
});

describe('DM calls', () => {
  async function dmBetween() {
    const { owner, members } = await makeGuild(server, { members: 1 }); // sharing a server: no message request
    const dm = await owner.client.request(routes.channels.openDm, { body: { recipient_id: members[0]!.userId } });
    return { caller: owner, callee: members[0]!, dm };
  }

  it('rings the recipient, who declines; the call message shows who came and when it ended', async () => {
    const { caller, callee, dm } = await dmBetween();
    const phone = await server.connect(callee.client.token!);
    const calls = collect(phone.gateway, 'CALL_CREATE');
    const updates = collect(phone.gateway, 'CALL_UPDATE');
    const messages = collect(phone.gateway, 'MESSAGE_CREATE');
    const edits = collect(phone.gateway, 'MESSAGE_UPDATE');
    const deleted = collect(phone.gateway, 'CALL_DELETE');
    const a = await inCall(caller, { id: dm.id, guild_id: null });
    const [call] = await calls.count(1);
    expect(call).toMatchObject({ channel_id: dm.id, ringing: [callee.userId] });
    expect(call!.voice_states.map((v) => v.user_id)).toEqual([caller.userId]);
    const [message] = await messages.count(1);
    expect(message).toMatchObject({ id: call!.message_id, type: 3, author: { id: caller.userId }, call: { participants: [caller.userId], ended_timestamp: null } });

    // A device that connects now hears of the call right after READY.
    const raw = await RawGateway.open(server.url);
    raw.identify(callee.client.token!);
    expect((await raw.dispatch('CALL_CREATE')).d).toMatchObject({ channel_id: dm.id, ringing: [callee.userId] });
    raw.close();

    await callee.client.request(routes.calls.stopRinging, { params: { channel_id: dm.id }, body: {} });
    expect((await updates.count(1))[0]!.ringing).toEqual([]);
    a.gateway.updateVoiceState(leave);
    await deleted.count(1);
    const ended = await edits.until('ended', (e) => e.some((m) => m.id === call!.message_id && m.call?.ended_timestamp));
    expect(ended.at(-1)!.call!.participants).toEqual([caller.userId]); // the callee missed it
  });

  it('stops ringing when the recipient picks up, and on its own after the ring time', async () => {
    const { caller, callee, dm } = await dmBetween();
    const phone = await server.connect(callee.client.token!);
    const updates = collect(phone.gateway, 'CALL_UPDATE');
    const edits = collect(phone.gateway, 'MESSAGE_UPDATE');
    await inCall(caller, { id: dm.id, guild_id: null });
    // Nobody answers: the ringing stops by itself (CALL_RING_SECONDS=1 here).
    await updates.until('ring timeout', (u) => u.some((c) => c.ringing.length === 0), 10_000);
    // Ring again, and this time pick up.
    await caller.client.request(routes.calls.ring, { params: { channel_id: dm.id }, body: {} });
    await updates.until('ringing again', (u) => u.at(-1)!.ringing.includes(callee.userId as Snowflake));
    await joinFrom(phone, callee, { id: dm.id, guild_id: null });
    await updates.until('picked up', (u) => u.at(-1)!.ringing.length === 0);
    const withBoth = await edits.until('participants', (e) => e.some((m) => m.call?.participants.length === 2));
    expect(withBoth.at(-1)!.call!.participants).toEqual([caller.userId, callee.userId]);
  });

  it('refuses calls across a block and does not ring strangers whose request is pending', async () => {
    const { caller, callee, dm } = await dmBetween();
    await callee.client.request(routes.relationships.block, { params: { user_id: caller.userId as Snowflake }, body: { type: 2 } });
    const live = await server.connect(caller.client.token!);
    const errors = collect(live.gateway, 'VOICE_ERROR');
    live.gateway.updateVoiceState(join({ id: dm.id, guild_id: null }));
    expect((await errors.count(1))[0]!.code).toBe('BLOCKED');

    const stranger = await signUp(server);
    const target = await signUp(server);
    const request = await stranger.client.request(routes.channels.openDm, { body: { recipient_id: target.userId } });
    await stranger.client.request(routes.messages.create, { params: { channel_id: request.id }, body: { content: 'hello?' } });
    const targetLive = await server.connect(target.client.token!);
    const targetErrors = collect(targetLive.gateway, 'VOICE_ERROR');
    const calls = collect((await server.connect(stranger.client.token!)).gateway, 'CALL_CREATE');
    await inCall(stranger, { id: request.id, guild_id: null });
    expect((await calls.count(1))[0]!.ringing).toEqual([]);
    targetLive.gateway.updateVoiceState(join({ id: request.id, guild_id: null }));
    expect((await targetErrors.count(1))[0]!.code).toBe('MISSING_PERMISSIONS');
    expect((await failure(target.client.request(routes.calls.ring, { params: { channel_id: request.id }, body: {} }))).status).toBe(403);
  });
});
