import { ChannelType, OverwriteType, Permissions, type Snowflake, type UpdateMemberBody, type VoiceState, type VoiceStateUpdate, routes } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { type Person, failure, makeGuild } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * Moderators and calls, through PATCH /guilds/:id/members/:user_id and the gateway as clients
 * see it: server mute and deafen in voice states (kept across joins), moving and disconnecting
 * members, and calls emptied of those who lose Connect (a timeout, an overwrite).
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { CALL_RECONNECT_GRACE_SECONDS: '1', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' } });
});
afterAll(() => server.close());

type Voice = { id: Snowflake; guild_id?: Snowflake | null | undefined };

const join = (channel: Voice): VoiceStateUpdate => ({ guild_id: channel.guild_id ?? null, channel_id: channel.id, self_mute: false, self_deaf: false });
const leave = { guild_id: null, channel_id: null, self_mute: false, self_deaf: false };

async function joinFrom(live: ParleyClient, person: Person, channel: Voice) {
  const states = collect(live.gateway, 'VOICE_STATE_UPDATE');
  live.gateway.updateVoiceState(join(channel));
  const mine = (v: VoiceState) => v.user_id === person.userId && v.channel_id === channel.id && v.session_id === live.gateway.sessionId;
  await states.until('own join', (s) => s.some(mine));
  return states.items.find(mine)!;
}

async function inCall(person: Person, channel: Voice) {
  const live = await server.connect(person.client.token!);
  const state = await joinFrom(live, person, channel);
  return { live, state };
}

async function voiceGuild(members: number) {
  const made = await makeGuild(server, { members });
  const create = (name: string) => made.owner.client.request(routes.channels.create, { params: { guild_id: made.guild.id }, body: { name, type: ChannelType.GUILD_VOICE } });
  const voice = await create('Lounge');
  const other = await create('Studio');
  return { ...made, voice, other };
}

const edit = (moderator: Person, guildId: Snowflake, userId: string, body: UpdateMemberBody) =>
  moderator.client.request(routes.moderation.updateMember, { params: { guild_id: guildId, user_id: userId as Snowflake }, body });

const storedState = (userId: string) =>
  server.db.database.db
    .selectFrom('voice_states')
    .selectAll()
    .where('user_id', '=', userId as Snowflake)
    .executeTakeFirst();

describe('server mute and deafen', () => {
  it('shows in the voice state at once, holds across leaving and joining again, and lifts', async () => {
    const { owner, guild, voice, members } = await voiceGuild(2);
    const [target, third] = members as [Person, Person];
    const watcher = (await inCall(third, voice)).live;
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const { live } = await inCall(target, voice);
    await seen.until('target joins', (s) => s.some((v) => v.user_id === target.userId && v.channel_id === voice.id));
    expect(seen.items.at(-1)).toMatchObject({ mute: false, deaf: false });

    await edit(owner, guild.id, target.userId, { mute: true });
    const [muted] = (await seen.until('muted', (s) => s.some((v) => v.user_id === target.userId && v.mute))).filter((v) => v.mute);
    expect(muted).toMatchObject({ channel_id: voice.id, user_id: target.userId, session_id: live.gateway.sessionId, mute: true, deaf: false, self_mute: false });

    await edit(owner, guild.id, target.userId, { deaf: true });
    await seen.until('deafened', (s) => s.some((v) => v.user_id === target.userId && v.mute && v.deaf));

    // Leaving and joining again (any voice channel of the server) keeps them.
    live.gateway.updateVoiceState(leave);
    await seen.until('left', (s) => s.some((v) => v.user_id === target.userId && v.channel_id === null));
    const again = await joinFrom(live, target, voice);
    expect(again).toMatchObject({ mute: true, deaf: true });
    // Changing their own flags does not lift them.
    const flags = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    live.gateway.updateVoiceState({ ...join(voice), self_mute: true });
    const [own] = await flags.until('self mute', (s) => s.some((v) => v.user_id === target.userId && v.self_mute));
    expect(own).toMatchObject({ self_mute: true, mute: true, deaf: true });

    const lifted = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    await edit(owner, guild.id, target.userId, { mute: false, deaf: false });
    const [after] = await lifted.until('lifted', (s) => s.some((v) => v.user_id === target.userId && !v.mute && !v.deaf));
    expect(after).toMatchObject({ channel_id: voice.id, mute: false, deaf: false });
  });

  it('is stored for a member in no call (no event) and shows when they join', async () => {
    const { owner, guild, voice, members } = await voiceGuild(1);
    const target = members[0]!;
    await edit(owner, guild.id, target.userId, { mute: true });
    const { state } = await inCall(target, voice);
    expect(state).toMatchObject({ mute: true, deaf: false });
  });

  it('is refused without Mute Members, and nothing changes', async () => {
    const { guild, voice, members } = await voiceGuild(2);
    const [target, peer] = members as [Person, Person];
    await inCall(target, voice);
    const error = await failure(edit(peer, guild.id, target.userId, { mute: true }));
    expect(error.status).toBe(403);
    const row = await server.db.database.db
      .selectFrom('members')
      .select('mute')
      .where('guild_id', '=', guild.id)
      .where('user_id', '=', target.userId as Snowflake)
      .executeTakeFirstOrThrow();
    expect(row.mute).toBe(0);
  });
});

describe('moving and disconnecting', () => {
  it('moves a member: their device is told where to, the call sees them leave, and joining the destination works', async () => {
    const { owner, guild, voice, other, members } = await voiceGuild(2);
    const [target, third] = members as [Person, Person];
    const watcher = (await inCall(third, voice)).live;
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const { live } = await inCall(target, voice);
    const told = collect(live.gateway, 'VOICE_DISCONNECTED');
    await edit(owner, guild.id, target.userId, { channel_id: other.id });
    const [why] = await told.count(1);
    expect(why).toEqual({ channel_id: voice.id, guild_id: guild.id, reason: 'moved', to_channel_id: other.id });
    await seen.until('target left the lounge', (s) => s.some((v) => v.user_id === target.userId && v.channel_id === null));
    expect(await storedState(target.userId)).toBeUndefined();
    // What the web client does on `moved`: join the destination.
    await joinFrom(live, target, other);
    expect((await storedState(target.userId))!.channel_id).toBe(other.id);
    // Moving to where they already are changes nothing.
    await edit(owner, guild.id, target.userId, { channel_id: other.id });
    expect((await storedState(target.userId))!.session_id).toBe(live.gateway.sessionId);
  });

  it('disconnects a member, telling their device a moderator did', async () => {
    const { owner, guild, voice, members } = await voiceGuild(1);
    const target = members[0]!;
    const { live } = await inCall(target, voice);
    const told = collect(live.gateway, 'VOICE_DISCONNECTED');
    const states = collect(live.gateway, 'VOICE_STATE_UPDATE');
    await edit(owner, guild.id, target.userId, { channel_id: null });
    expect((await told.count(1))[0]).toEqual({ channel_id: voice.id, guild_id: guild.id, reason: 'disconnected' });
    await states.until('left', (s) => s.some((v) => v.user_id === target.userId && v.channel_id === null));
    expect(await storedState(target.userId)).toBeUndefined();
    expect(await server.db.database.db.selectFrom('calls').selectAll().where('channel_id', '=', voice.id).executeTakeFirst()).toBeUndefined();
  });

  it('refuses members in no call here (40032), channels that are not this server’s voice channels, and channels the member may not connect to', async () => {
    const { owner, guild, general, voice, other, members } = await voiceGuild(2);
    const [target, idle] = members as [Person, Person];
    const elsewhere = await voiceGuild(0);
    // In no call at all, then in a call of another server.
    for (const channelId of [other.id, null]) {
      const error = await failure(edit(owner, guild.id, idle.userId, { channel_id: channelId }));
      expect([error.status, error.code]).toEqual([400, 40032]);
    }
    await inCall(target, voice);
    for (const channelId of [general.id, elsewhere.voice.id, '1234567890123' as Snowflake]) {
      const error = await failure(edit(owner, guild.id, target.userId, { channel_id: channelId }));
      expect([error.status, error.code]).toEqual([400, 50035]);
      expect(error.problems.map((p) => p.path.join('.'))).toContain('channel_id');
    }
    await owner.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: other.id, overwrite_id: target.userId as Snowflake },
      body: { type: OverwriteType.MEMBER, deny: String(Permissions.CONNECT) },
    });
    const error = await failure(edit(owner, guild.id, target.userId, { channel_id: other.id }));
    expect([error.status, error.code]).toEqual([403, 50013]);
    // A member of another server's call is not in voice here.
    const outsider = await failure(edit(elsewhere.owner, elsewhere.guild.id, elsewhere.owner.userId, { channel_id: null }));
    expect(outsider.code).toBe(40032);
    expect((await storedState(target.userId))!.channel_id).toBe(voice.id);
  });

  it('is refused without Move Members', async () => {
    const { guild, voice, other, members } = await voiceGuild(2);
    const [target, peer] = members as [Person, Person];
    await inCall(target, voice);
    expect((await failure(edit(peer, guild.id, target.userId, { channel_id: other.id }))).status).toBe(403);
    expect((await failure(edit(peer, guild.id, target.userId, { channel_id: null }))).status).toBe(403);
    expect((await storedState(target.userId))!.channel_id).toBe(voice.id);
  });
});

describe('losing Connect', () => {
  it('a timeout takes a member out of their call, and they cannot join any until it ends', async () => {
    const { owner, guild, voice, other, members } = await voiceGuild(1);
    const target = members[0]!;
    const { live } = await inCall(target, voice);
    const told = collect(live.gateway, 'VOICE_DISCONNECTED');
    await edit(owner, guild.id, target.userId, { communication_disabled_until: new Date(Date.now() + 60_000).toISOString() });
    expect((await told.count(1))[0]).toMatchObject({ channel_id: voice.id, reason: 'access_lost' });
    expect(await storedState(target.userId)).toBeUndefined();

    const errors = collect(live.gateway, 'VOICE_ERROR');
    live.gateway.updateVoiceState(join(other));
    expect((await errors.count(1))[0]).toMatchObject({ channel_id: other.id, code: 'MISSING_PERMISSIONS' });
    expect(await storedState(target.userId)).toBeUndefined();

    await edit(owner, guild.id, target.userId, { communication_disabled_until: null });
    await joinFrom(live, target, other);
  });

  it('an overwrite denying Connect takes those it covers out of the call; others stay', async () => {
    const { owner, guild, voice, members } = await voiceGuild(2);
    const [target, stays] = members as [Person, Person];
    const watcher = (await inCall(stays, voice)).live;
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const { live } = await inCall(target, voice);
    const told = collect(live.gateway, 'VOICE_DISCONNECTED');
    await owner.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: voice.id, overwrite_id: target.userId as Snowflake },
      body: { type: OverwriteType.MEMBER, deny: String(Permissions.CONNECT) },
    });
    expect((await told.count(1))[0]).toMatchObject({ channel_id: voice.id, guild_id: guild.id, reason: 'access_lost' });
    await seen.until('target left', (s) => s.some((v) => v.user_id === target.userId && v.channel_id === null));
    expect((await storedState(stays.userId))!.channel_id).toBe(voice.id);
  });
});

describe('Speak and Video', () => {
  it('without Speak a participant is suppressed for everyone (live, both ways); without Video their camera and screen are off', async () => {
    const { owner, voice, members } = await voiceGuild(2);
    const [target, third] = members as [Person, Person];
    const watcher = (await inCall(third, voice)).live;
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const { live, state } = await inCall(target, voice);
    expect(state).toMatchObject({ suppress: false });
    const ofTarget = () => seen.items.filter((v) => v.user_id === target.userId);

    // Losing Speak while in the call: everyone's clients hear that the target is suppressed.
    await owner.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: voice.id, overwrite_id: target.userId as Snowflake },
      body: { type: OverwriteType.MEMBER, deny: String(Permissions.SPEAK | Permissions.STREAM) },
    });
    await seen.until('suppressed', () => ofTarget().some((v) => v.suppress && v.channel_id === voice.id));
    expect((await storedState(target.userId))!.suppress).toBe(1);

    // Their client turning the camera and screen on changes nothing for others; they stay suppressed.
    const before = seen.items.length;
    live.gateway.updateVoiceState({ ...join(voice), self_video: true, self_stream: true });
    await seen.until('flags', (s) => s.length > before && s.at(-1)!.user_id === target.userId);
    expect(seen.items.at(-1)).toMatchObject({ self_video: false, self_stream: false, suppress: true });

    // Joining again keeps it; lifting the overwrite gives their voice back, live.
    live.gateway.updateVoiceState(leave);
    await seen.until('left', () => ofTarget().some((v) => v.channel_id === null));
    expect(await joinFrom(live, target, voice)).toMatchObject({ suppress: true });
    await owner.client.request(routes.moderation.deleteOverwrite, { params: { channel_id: voice.id, overwrite_id: target.userId as Snowflake } });
    await seen.until('unsuppressed', () => ofTarget().at(-1)?.suppress === false);
    expect((await storedState(target.userId))!).toMatchObject({ channel_id: voice.id, suppress: 0 });
  });
});
