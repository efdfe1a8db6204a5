import { ChannelType, GatewayOpcode, type GuildCreate, OverwriteType, Permissions, type Ready, type Snowflake, routes } from '@parley/protocol';
import { emojiRoutes } from '@parley/protocol/emojis';
import type { ParleyApiError } from '@parley/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, type ClusterNode, startCluster } from '../testing/cluster';
import { failure, makeImage, uniqueName } from '../testing/fixtures';
import { RawGateway } from '../testing/raw-gateway';

/*
 * Two real nodes on PostgreSQL and Redis. Each caches what a send reads (sessions, channel
 * access, audiences); a change made through one node must hold on the other for the very next
 * request, with no waiting: each step below sends through B right after the change went
 * through A, B having just served the old rows from its cache.
 */

let cluster: Cluster;
let A: ClusterNode, B: ClusterNode;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, env: { MESSAGE_RATE_LIMIT: '1000/60' } });
  [A, B] = cluster.nodes as [ClusterNode, ClusterNode];
}, 120_000);

afterAll(() => cluster?.close(), 60_000);

afterEach(({ task }) => {
  if (task.result?.state === 'fail' && cluster) for (const node of cluster.nodes) console.log(`--- ${node.name} output ---\n${node.output()}`);
});

async function signUp(node: ClusterNode): Promise<{ userId: Snowflake; token: string }> {
  const { token, user_id } = await node.client().request(routes.auth.register, { body: { username: uniqueName('c'), password: 'correct horse battery' } });
  return { userId: user_id, token };
}

const SEND = String(Permissions.SEND_MESSAGES);

describe('per-node caches across nodes', () => {
  it('a change through one node decides the next send through another, at once', async () => {
    const owner = await signUp(A);
    const member = await signUp(A);
    const guildId = (await A.client(owner.token).request(routes.guilds.create, { body: { name: 'Cached' } })).id;
    const channelId = (await A.client(owner.token).request(routes.guilds.listChannels, { params: { guild_id: guildId } })).find((c) => c.type === ChannelType.GUILD_TEXT)!.id;
    const code = (await A.client(owner.token).request(routes.invites.create, { params: { channel_id: channelId }, body: {} })).code;
    await A.client(member.token).request(routes.invites.accept, { params: { code } });
    const onA = A.client(owner.token);
    const sendOnB = (content: string) => B.client(member.token).request(routes.messages.create, { params: { channel_id: channelId }, body: { content } });
    const refusedOnB = async (content: string): Promise<ParleyApiError> => failure(sendOnB(content));
    const params = { guild_id: guildId };
    const memberId = member.userId;

    await sendOnB('B caches the rows');
    await onA.request(routes.moderation.editOverwrite, { params: { channel_id: channelId, overwrite_id: memberId }, body: { type: OverwriteType.MEMBER, allow: '0', deny: SEND } });
    expect((await refusedOnB('overwritten on A')).code).toBe(50013);
    await onA.request(routes.moderation.deleteOverwrite, { params: { channel_id: channelId, overwrite_id: memberId } });
    await sendOnB('overwrite gone');

    const everyone = (await onA.request(routes.roles.list, { params })).find((r) => r.id === guildId)!;
    await onA.request(routes.roles.update, { params: { ...params, role_id: guildId }, body: { permissions: String(BigInt(everyone.permissions) & ~Permissions.SEND_MESSAGES) } });
    expect((await refusedOnB('@everyone may not send')).code).toBe(50013);
    await onA.request(routes.roles.update, { params: { ...params, role_id: guildId }, body: { permissions: everyone.permissions } });
    await sendOnB('@everyone may again');

    await onA.request(routes.moderation.updateMember, { params: { ...params, user_id: memberId }, body: { communication_disabled_until: new Date(Date.now() + 60_000).toISOString() } });
    expect((await refusedOnB('timed out on A')).code).toBe(50013);
    await onA.request(routes.moderation.updateMember, { params: { ...params, user_id: memberId }, body: { communication_disabled_until: null } });
    await sendOnB('timeout lifted');

    await onA.request(routes.guilds.kickMember, { params: { ...params, user_id: memberId } });
    expect((await refusedOnB('kicked on A')).code).toBe(10003);
  });

  it("a DM's block and its states, changed through one node, decide the next send through another", async () => {
    const a = await signUp(A);
    const b = await signUp(A);
    const dm = await A.client(a.token).request(routes.channels.openDm, { body: { recipient_id: b.userId } });
    const sendOnB = (who: { token: string }, content: string) => B.client(who.token).request(routes.messages.create, { params: { channel_id: dm.id }, body: { content } });
    await sendOnB(a, 'B caches the DM');
    // The block (which declines a's request) through A.
    await A.client(b.token).request(routes.relationships.block, { params: { user_id: a.userId }, body: { type: 2 } });
    expect((await failure(sendOnB(a, 'blocked on A'))).code).toBe(50007);
    await A.client(b.token).request(routes.relationships.remove, { params: { user_id: a.userId } });
    // B caches the declined state: this message is not b's.
    await sendOnB(a, 'unblocked on A');
    // Answered through A, which accepts it: the next send through B reaches b.
    const gw = await RawGateway.open(A.url);
    gw.identify(b.token);
    await gw.dispatch('READY');
    await A.client(b.token).request(routes.messages.create, { params: { channel_id: dm.id }, body: { content: 'answered on A' } });
    await sendOnB(a, 'heard by b');
    const heard = await gw.next((f) => f.t === 'MESSAGE_CREATE' && (f.d as { content: string }).content === 'heard by b');
    expect(heard.d).toMatchObject({ channel_id: dm.id });
    gw.close();
  });

  it("a change through one node is in the next READY from another: the server's name, its emoji, who is in voice, the member's roles", async () => {
    const owner = await signUp(A);
    const member = await signUp(A);
    const onA = A.client(owner.token);
    const guildId = (await onA.request(routes.guilds.create, { body: { name: 'Before' } })).id;
    const params = { guild_id: guildId };
    const channelId = (await onA.request(routes.guilds.listChannels, { params })).find((c) => c.type === ChannelType.GUILD_TEXT)!.id;
    const voice = await onA.request(routes.channels.create, { params, body: { name: 'Lounge', type: ChannelType.GUILD_VOICE } });
    const code = (await onA.request(routes.invites.create, { params: { channel_id: channelId }, body: {} })).code;
    await A.client(member.token).request(routes.invites.accept, { params: { code } });
    const guildOnB = async () => {
      const gw = await RawGateway.open(B.url);
      gw.identify(member.token);
      const ready = (await gw.dispatch('READY')).d as Ready;
      gw.close();
      return ready.guilds.find((g) => g.id === guildId) as GuildCreate;
    };
    // B caches the guild.
    await guildOnB();

    await onA.request(routes.guilds.update, { params, body: { name: 'After' } });
    const image = `data:image/png;base64,${(await makeImage('png')).toString('base64')}`;
    const emoji = await onA.request(emojiRoutes.create, { params, body: { name: 'fresh', image } });
    const role = await onA.request(routes.roles.create, { params, body: { name: 'Regulars' } });
    await onA.request(routes.roles.addToMember, { params: { ...params, user_id: member.userId, role_id: role.id } });
    const speaker = await RawGateway.open(A.url);
    speaker.identify(owner.token);
    await speaker.dispatch('READY');
    speaker.send({ op: GatewayOpcode.VOICE_STATE_UPDATE, d: { guild_id: guildId, channel_id: voice.id, self_mute: false, self_deaf: false } });
    await speaker.dispatch('VOICE_STATE_UPDATE');

    const guild = await guildOnB();
    expect(guild.name).toBe('After');
    expect(guild.emojis.map((e) => e.id)).toContain(emoji.id);
    expect(guild.voice_states.map((v) => v.user_id)).toEqual([owner.userId]);
    expect(guild.members.find((m) => m.user.id === member.userId)?.roles).toEqual([role.id]);
    speaker.close();
  });

  it('a session signed out through one node fails the next request through another, at once', async () => {
    const person = await signUp(A);
    // B caches the session.
    await B.client(person.token).request(routes.users.getMe);
    await B.client(person.token).request(routes.users.getMe);
    await A.client(person.token).request(routes.auth.logout);
    expect((await failure(B.client(person.token).request(routes.users.getMe))).status).toBe(401);
  });
});
