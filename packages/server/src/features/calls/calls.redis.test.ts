import { ChannelType, type Snowflake, type VoiceStateUpdate, routes } from '@parley/protocol';
import type { ParleyClient } from '@parley/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, type ClusterNode, startCluster } from '../../testing/cluster';
import { collect } from '../../testing/collector';
import { uniqueName } from '../../testing/fixtures';

/*
 * The call rules across two real nodes sharing PostgreSQL and Redis: a call spans nodes, signals
 * cross them, a user's second device on the other node takes the call over, the size limit holds
 * when people on both nodes join at the same moment, and a node that dies takes its callers out.
 */

const MAX = 3;
let cluster: Cluster;
let A: ClusterNode, B: ClusterNode;
let owner: Person;
let guildId: Snowflake;
let inviteCode: string;

interface Person {
  userId: Snowflake;
  token: string;
}

async function member(node: ClusterNode): Promise<Person> {
  const { token, user_id } = await node.client().request(routes.auth.register, { body: { username: uniqueName('c'), password: 'correct horse battery' } });
  await node.client(token).request(routes.invites.accept, { params: { code: inviteCode } });
  return { userId: user_id as Snowflake, token };
}

async function voiceChannel(): Promise<Snowflake> {
  const channel = await A.client(owner.token).request(routes.channels.create, { params: { guild_id: guildId }, body: { name: uniqueName('v'), type: ChannelType.GUILD_VOICE } });
  return channel.id;
}

const join = (channelId: Snowflake): VoiceStateUpdate => ({ guild_id: guildId, channel_id: channelId, self_mute: false, self_deaf: false });

/** Joins and waits for the confirmation (the user's own VOICE_STATE_UPDATE for this session). */
async function joined(client: ParleyClient, person: Person, channelId: Snowflake): Promise<void> {
  const states = collect(client.gateway, 'VOICE_STATE_UPDATE');
  client.gateway.updateVoiceState(join(channelId));
  await states.until('joined', (s) => s.some((v) => v.user_id === person.userId && v.channel_id === channelId && v.session_id === client.gateway.sessionId), 10_000);
}

beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, env: { NODE_TIMEOUT_SECONDS: '1', CALL_MAX_PARTICIPANTS: String(MAX), CALL_RECONNECT_GRACE_SECONDS: '2' } });
  [A, B] = cluster.nodes as [ClusterNode, ClusterNode];
  const { token, user_id } = await A.client().request(routes.auth.register, { body: { username: uniqueName('o'), password: 'correct horse battery' } });
  owner = { userId: user_id as Snowflake, token };
  guildId = (await A.client(token).request(routes.guilds.create, { body: { name: 'Calls across nodes' } })).id;
  const channels = await A.client(token).request(routes.guilds.listChannels, { params: { guild_id: guildId } });
  inviteCode = (await A.client(token).request(routes.invites.create, { params: { channel_id: channels[0]!.id }, body: {} })).code;
}, 120_000);

afterAll(() => cluster?.close(), 60_000);

afterEach(({ task }) => {
  if (task.result?.state === 'fail' && cluster) for (const node of cluster.nodes) console.log(`--- ${node.name} output ---\n${node.output()}`);
});

describe('calls across nodes', () => {
  it('holds one call with people on both nodes and relays their signals between nodes', async () => {
    const channelId = await voiceChannel();
    const ann = await member(A);
    const bo = await member(B);
    const onA = await A.connect(ann.token);
    const onB = await B.connect(bo.token);
    const seenOnA = collect(onA.gateway, 'VOICE_STATE_UPDATE');
    await joined(onA, ann, channelId);
    await joined(onB, bo, channelId);
    await seenOnA.until('bo joined, seen on node A', (s) => s.some((v) => v.user_id === bo.userId && v.channel_id === channelId));

    const toB = collect(onB.gateway, 'RTC_SIGNAL');
    const toA = collect(onA.gateway, 'RTC_SIGNAL');
    onA.gateway.sendRtcSignal({ channel_id: channelId, to_user_id: bo.userId, type: 'description', description: { type: 'offer', sdp: 'offer from A' } });
    const [offer] = await toB.count(1, 10_000);
    expect(offer).toMatchObject({ from_user_id: ann.userId, from_session_id: onA.gateway.sessionId, description: { sdp: 'offer from A' } });
    onB.gateway.sendRtcSignal({ channel_id: channelId, to_user_id: ann.userId, type: 'description', description: { type: 'answer', sdp: 'answer from B' } });
    expect((await toA.count(1, 10_000))[0]).toMatchObject({ from_user_id: bo.userId, description: { type: 'answer' } });
  });

  it('moves the call to a second device on the other node, telling the first', async () => {
    const channelId = await voiceChannel();
    const cat = await member(A);
    const phone = await A.connect(cat.token);
    await joined(phone, cat, channelId);
    const told = collect(phone.gateway, 'VOICE_DISCONNECTED');
    const laptop = await B.connect(cat.token);
    await joined(laptop, cat, channelId);
    expect((await told.count(1, 10_000))[0]).toMatchObject({ channel_id: channelId, reason: 'moved_to_other_device' });
    // The phone no longer holds the call anywhere: a signal from it is refused.
    const errors = collect(phone.gateway, 'VOICE_ERROR');
    phone.gateway.sendRtcSignal({ channel_id: channelId, to_user_id: owner.userId, type: 'candidates', candidates: [{ candidate: '' }] });
    expect((await errors.count(1, 10_000))[0]!.code).toBe('NOT_IN_CALL');
  });

  it('keeps the size limit when people on both nodes join at the same moment', async () => {
    const channelId = await voiceChannel();
    const people = await Promise.all(
      [A, B, A, B, A, B].map(async (node) => {
        const person = await member(node);
        return { person, client: await node.connect(person.token) };
      }),
    );
    const outcomes = people.map(({ client, person }) => {
      const states = collect(client.gateway, 'VOICE_STATE_UPDATE');
      const errors = collect(client.gateway, 'VOICE_ERROR');
      return Promise.race([
        states.until('own join', (s) => s.some((v) => v.user_id === person.userId && v.channel_id === channelId), 15_000).then(() => 'joined'),
        errors.count(1, 15_000).then((e) => e[0]!.code),
      ]);
    });
    for (const { client } of people) client.gateway.updateVoiceState(join(channelId));
    const results = await Promise.all(outcomes);
    expect(results.filter((r) => r === 'joined')).toHaveLength(MAX);
    expect(results.filter((r) => r === 'CALL_FULL')).toHaveLength(people.length - MAX);
  });

  it('takes the callers of a node that dies out of their call, and tells the others', async () => {
    const channelId = await voiceChannel();
    const watcher = await A.connect(owner.token);
    const seen = collect(watcher.gateway, 'VOICE_STATE_UPDATE');
    const dan = await member(B);
    const onB = await B.connect(dan.token);
    await joined(onB, dan, channelId);
    await B.kill();
    await seen.until('dan out', (s) => s.some((v) => v.user_id === dan.userId && v.channel_id === null), 20_000);
  });
});
