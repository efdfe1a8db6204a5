import { ChannelType, OverwriteType, Permissions, type Snowflake, type VoiceState, type VoiceStateUpdate, routes } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collector';
import { type Person, failure, giveRole, makeGuild } from '../../testing/fixtures';
import { grantRequestToSpeak } from '../../db/migrations/0031_stage';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * Stage channels (type 13), as Discord clients and bots see them: who joins suppressed, raising
 * and lowering a hand, a moderator inviting to speak and moving back to the audience, who may
 * not, suppressed participants' camera and screen kept off, and malformed requests.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { CALL_RECONNECT_GRACE_SECONDS: '1', LOG_LEVEL: process.env.DEBUG_LOG ?? 'silent' } });
});
afterAll(() => server.close());

type Voice = { id: Snowflake; guild_id?: Snowflake | null | undefined };

const join = (channel: Voice): VoiceStateUpdate => ({ guild_id: channel.guild_id ?? null, channel_id: channel.id, self_mute: false, self_deaf: false });

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

/** A server with a stage, its owner (a stage moderator) and `members` ordinary members. */
async function stageGuild(members: number) {
  const made = await makeGuild(server, { members });
  const stage = await made.owner.client.request(routes.channels.create, { params: { guild_id: made.guild.id }, body: { name: 'Lecture hall', type: ChannelType.GUILD_STAGE_VOICE } });
  return { ...made, stage };
}

const own = (person: Person, guildId: Snowflake, body: Record<string, unknown>) => person.client.request(routes.stage.updateOwnVoiceState, { params: { guild_id: guildId }, body: body as never });
const theirs = (person: Person, guildId: Snowflake, userId: string, body: Record<string, unknown>) =>
  person.client.request(routes.stage.updateVoiceState, { params: { guild_id: guildId, user_id: userId as Snowflake }, body: body as never });

const storedState = (userId: string) =>
  server.db.database.db
    .selectFrom('voice_states')
    .selectAll()
    .where('user_id', '=', userId as Snowflake)
    .executeTakeFirst();

describe('stage channels', () => {
  it('are created as type 13, and new servers let @everyone request to speak', async () => {
    const { owner, guild, stage } = await stageGuild(0);
    expect(stage).toMatchObject({ type: ChannelType.GUILD_STAGE_VOICE, name: 'Lecture hall', bitrate: 64_000, user_limit: 0 });
    // Like a voice channel, a stage takes no messages.
    expect((await failure(owner.client.request(routes.messages.create, { params: { channel_id: stage.id }, body: { content: 'hello' } }))).code).toBe(50013);
    const roles = await owner.client.request(routes.roles.list, { params: { guild_id: guild.id } });
    const everyone = roles.find((r) => r.id === guild.id)!;
    expect(BigInt(everyone.permissions) & Permissions.REQUEST_TO_SPEAK).toBe(Permissions.REQUEST_TO_SPEAK);
  });

  it("migration 0031 gives existing servers' @everyone Request to Speak, and nothing else", async () => {
    const { owner, guild } = await stageGuild(0);
    const mods = await owner.client.request(routes.roles.create, { params: { guild_id: guild.id }, body: { name: 'Mods', permissions: String(Permissions.MUTE_MEMBERS) } });
    const before = BigInt((await owner.client.request(routes.roles.list, { params: { guild_id: guild.id } })).find((r) => r.id === guild.id)!.permissions);
    const { db } = server.db.database;
    // As a server made before stages: @everyone without the bit.
    await db
      .updateTable('roles')
      .set({ permissions: String(before & ~Permissions.REQUEST_TO_SPEAK) })
      .where('id', '=', guild.id)
      .execute();
    await grantRequestToSpeak(db);
    const roles = await db.selectFrom('roles').select(['id', 'permissions']).where('guild_id', '=', guild.id).execute();
    expect(BigInt(roles.find((r) => r.id === guild.id)!.permissions)).toBe(before);
    expect(roles.find((r) => r.id === mods.id)!.permissions).toBe(String(Permissions.MUTE_MEMBERS));
  });

  it('listeners join suppressed, moderators as speakers; a plain voice channel suppresses nobody', async () => {
    const { owner, guild, stage, members } = await stageGuild(2);
    const [listener, mod] = members as [Person, Person];
    await giveRole(owner, guild.id, mod, String(Permissions.MUTE_MEMBERS));
    expect((await inCall(owner, stage)).state).toMatchObject({ suppress: false, request_to_speak_timestamp: null });
    expect((await inCall(mod, stage)).state).toMatchObject({ suppress: false });
    expect((await inCall(listener, stage)).state).toMatchObject({ suppress: true, request_to_speak_timestamp: null });
    expect(await storedState(listener.userId)).toMatchObject({ stage_suppress: 1, suppress: 1 });

    const voice = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Lounge', type: ChannelType.GUILD_VOICE } });
    const { state } = await inCall(listener, voice);
    expect(state).toMatchObject({ suppress: false });
  });

  it('a listener raises a hand, everyone sees it, the host invites them to speak, then moves them back', async () => {
    const { owner, guild, stage, members } = await stageGuild(2);
    const [listener, other] = members as [Person, Person];
    const host = await inCall(owner, stage);
    const seen = collect(host.live.gateway, 'VOICE_STATE_UPDATE');
    const { live } = await inCall(listener, stage);
    const bystander = (await inCall(other, stage)).live;
    const heard = collect(bystander.gateway, 'VOICE_STATE_UPDATE');
    const ofListener = () => seen.items.filter((v) => v.user_id === listener.userId);

    const before = Date.now();
    await own(listener, guild.id, { channel_id: stage.id, request_to_speak_timestamp: new Date().toISOString() });
    const [raised] = (await seen.until('hand up', () => ofListener().some((v) => v.request_to_speak_timestamp !== null))).filter((v) => v.user_id === listener.userId && v.request_to_speak_timestamp);
    expect(raised).toMatchObject({ channel_id: stage.id, suppress: true, session_id: live.gateway.sessionId });
    expect(Date.parse(raised!.request_to_speak_timestamp!)).toBeGreaterThanOrEqual(before - 1000);
    await heard.until('bystander sees the hand', (s) => s.some((v) => v.user_id === listener.userId && v.request_to_speak_timestamp !== null));
    expect((await storedState(listener.userId))!.request_to_speak_at).toBeTypeOf('number');

    // Lowering it, and raising it again.
    await own(listener, guild.id, { channel_id: stage.id, request_to_speak_timestamp: null });
    await seen.until('hand down', () => ofListener().at(-1)?.request_to_speak_timestamp === null);
    await own(listener, guild.id, { channel_id: stage.id, request_to_speak_timestamp: new Date().toISOString() });
    await seen.until('hand up again', () => ofListener().at(-1)?.request_to_speak_timestamp !== null);

    // Invited: a speaker now, the hand down.
    await theirs(owner, guild.id, listener.userId, { channel_id: stage.id, suppress: false });
    await seen.until('speaker', () => ofListener().at(-1)?.suppress === false);
    expect(ofListener().at(-1)).toMatchObject({ suppress: false, request_to_speak_timestamp: null });
    expect(await storedState(listener.userId)).toMatchObject({ stage_suppress: 0, suppress: 0, request_to_speak_at: null });

    // Moved back to the audience.
    await theirs(owner, guild.id, listener.userId, { channel_id: stage.id, suppress: true });
    await seen.until('audience', () => ofListener().at(-1)?.suppress === true);
    expect(await storedState(listener.userId)).toMatchObject({ stage_suppress: 1, suppress: 1 });
  });

  it('a speaker may step down to the audience; only a moderator may step up by themselves', async () => {
    const { owner, guild, stage, members } = await stageGuild(1);
    const listener = members[0]!;
    await inCall(owner, stage);
    await inCall(listener, stage);
    expect((await failure(own(listener, guild.id, { channel_id: stage.id, suppress: false }))).code).toBe(50013);
    expect((await storedState(listener.userId))!.stage_suppress).toBe(1);

    await own(owner, guild.id, { channel_id: stage.id, suppress: true });
    expect(await storedState(owner.userId)).toMatchObject({ stage_suppress: 1, suppress: 1 });
    await own(owner, guild.id, { channel_id: stage.id, suppress: false });
    expect(await storedState(owner.userId)).toMatchObject({ stage_suppress: 0, suppress: 0 });

    // A listener invited to speak may step down again by themselves.
    await theirs(owner, guild.id, listener.userId, { channel_id: stage.id, suppress: false });
    await own(listener, guild.id, { channel_id: stage.id, suppress: true });
    expect((await storedState(listener.userId))!.stage_suppress).toBe(1);
  });

  it('refuses those without the permission: inviting or moving others needs Mute Members, a hand needs Request to Speak', async () => {
    const { owner, guild, stage, members } = await stageGuild(2);
    const [listener, peer] = members as [Person, Person];
    await inCall(owner, stage);
    await inCall(listener, stage);
    await inCall(peer, stage);

    expect((await failure(theirs(peer, guild.id, listener.userId, { channel_id: stage.id, suppress: false }))).code).toBe(50013);
    expect((await failure(theirs(peer, guild.id, owner.userId, { channel_id: stage.id, suppress: true }))).code).toBe(50013);
    expect((await storedState(listener.userId))!.stage_suppress).toBe(1);
    expect((await storedState(owner.userId))!.stage_suppress).toBe(0);

    await owner.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: stage.id, overwrite_id: listener.userId as Snowflake },
      body: { type: OverwriteType.MEMBER, deny: String(Permissions.REQUEST_TO_SPEAK) },
    });
    expect((await failure(own(listener, guild.id, { channel_id: stage.id, request_to_speak_timestamp: new Date().toISOString() }))).code).toBe(50013);
    expect((await storedState(listener.userId))!.request_to_speak_at).toBeNull();
    // Lowering (or leaving it down) needs nothing.
    await own(listener, guild.id, { channel_id: stage.id, request_to_speak_timestamp: null });

    // A moderator granted Mute Members on this stage alone may invite.
    await owner.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: stage.id, overwrite_id: peer.userId as Snowflake },
      body: { type: OverwriteType.MEMBER, allow: String(Permissions.MUTE_MEMBERS) },
    });
    await theirs(peer, guild.id, listener.userId, { channel_id: stage.id, suppress: false });
    expect((await storedState(listener.userId))!.stage_suppress).toBe(0);
  });

  it('a speaker without Speak stays suppressed: the stage decides the place, the permission the voice', async () => {
    const { owner, guild, stage, members } = await stageGuild(1);
    const listener = members[0]!;
    await inCall(listener, stage);
    await owner.client.request(routes.moderation.editOverwrite, {
      params: { channel_id: stage.id, overwrite_id: listener.userId as Snowflake },
      body: { type: OverwriteType.MEMBER, deny: String(Permissions.SPEAK) },
    });
    await theirs(owner, guild.id, listener.userId, { channel_id: stage.id, suppress: false });
    expect(await storedState(listener.userId)).toMatchObject({ stage_suppress: 0, suppress: 1 });
    await owner.client.request(routes.moderation.deleteOverwrite, { params: { channel_id: stage.id, overwrite_id: listener.userId as Snowflake } });
    await expect.poll(async () => (await storedState(listener.userId))!.suppress).toBe(0);
  });

  it("keeps a suppressed participant's camera and screen off, and lets a speaker turn them on", async () => {
    const { owner, guild, stage, members } = await stageGuild(1);
    const listener = members[0]!;
    const host = await inCall(owner, stage);
    const seen = collect(host.live.gateway, 'VOICE_STATE_UPDATE');
    const { live } = await inCall(listener, stage);
    const ofListener = () => seen.items.filter((v) => v.user_id === listener.userId);

    const before = seen.items.length;
    live.gateway.updateVoiceState({ ...join(stage), self_video: true, self_stream: true });
    await seen.until('flags', (s) => s.length > before && s.at(-1)!.user_id === listener.userId);
    expect(seen.items.at(-1)).toMatchObject({ self_video: false, self_stream: false, suppress: true });
    expect(await storedState(listener.userId)).toMatchObject({ self_video: 0, self_stream: 0 });

    await theirs(owner, guild.id, listener.userId, { channel_id: stage.id, suppress: false });
    await seen.until('speaker', () => ofListener().at(-1)?.suppress === false);
    live.gateway.updateVoiceState({ ...join(stage), self_stream: true });
    await seen.until('sharing', () => ofListener().at(-1)?.self_stream === true);

    // Back in the audience: the share goes off for everyone.
    await theirs(owner, guild.id, listener.userId, { channel_id: stage.id, suppress: true });
    await seen.until('audience', () => ofListener().at(-1)?.suppress === true);
    expect(ofListener().at(-1)).toMatchObject({ self_stream: false, self_video: false });
    expect(await storedState(listener.userId)).toMatchObject({ self_stream: 0 });
  });

  it('answers 10065 for someone not in that stage, 50024 for a channel that is not a stage, 10003 for another server', async () => {
    const { owner, guild, stage, general, members } = await stageGuild(1);
    const listener = members[0]!;
    const voice = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Lounge', type: ChannelType.GUILD_VOICE } });
    expect((await failure(own(listener, guild.id, { channel_id: stage.id, request_to_speak_timestamp: new Date().toISOString() }))).code).toBe(10065);
    expect((await failure(theirs(owner, guild.id, listener.userId, { channel_id: stage.id, suppress: false }))).code).toBe(10065);
    await inCall(listener, voice);
    expect((await failure(theirs(owner, guild.id, listener.userId, { channel_id: stage.id, suppress: false }))).code).toBe(10065);
    expect((await failure(theirs(owner, guild.id, listener.userId, { channel_id: voice.id, suppress: false }))).code).toBe(50024);
    expect((await failure(own(listener, guild.id, { channel_id: general.id, suppress: true }))).code).toBe(50024);

    const elsewhere = await stageGuild(0);
    const error = await failure(own(owner, guild.id, { channel_id: elsewhere.stage.id, suppress: true }));
    expect(error.code).toBe(10003);
  });

  it('refuses malformed bodies with 50035', async () => {
    const { owner, guild, stage, members } = await stageGuild(1);
    const listener = members[0]!;
    await inCall(listener, stage);
    for (const body of [{}, { suppress: false }, { channel_id: 'abc', suppress: false }, { channel_id: stage.id, suppress: 'no' }]) {
      expect((await failure(own(listener, guild.id, body))).code).toBe(50035);
      expect((await failure(theirs(owner, guild.id, listener.userId, body))).code).toBe(50035);
    }
    expect((await failure(theirs(owner, guild.id, listener.userId, { channel_id: stage.id, suppress: 1 }))).code).toBe(50035);
    expect((await failure(own(listener, guild.id, { channel_id: stage.id, request_to_speak_timestamp: 'yesterday' }))).code).toBe(50035);
    expect((await storedState(listener.userId))!).toMatchObject({ stage_suppress: 1, request_to_speak_at: null });
  });
});
