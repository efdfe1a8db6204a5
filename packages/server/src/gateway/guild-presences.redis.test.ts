import { GatewayOpcode, type Presence, type Snowflake, routes } from '@parley/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, type ClusterNode, startCluster } from '../testing/cluster';
import { uniqueName } from '../testing/fixtures';
import { type RawFrame, RawGateway } from '../testing/raw-gateway';

/*
 * Two real nodes on PostgreSQL and Redis: a session following presences in a large server (op 14)
 * on one node hears of members who connect to the other.
 */

let cluster: Cluster;
let A: ClusterNode, B: ClusterNode;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 2 });
  [A, B] = cluster.nodes as [ClusterNode, ClusterNode];
}, 120_000);
afterAll(() => cluster?.close(), 60_000);
afterEach(({ task }) => {
  if (task.result?.state === 'fail' && cluster) for (const node of cluster.nodes) console.log(`--- ${node.name} output ---\n${node.output()}`);
});

interface GuildPresences {
  guild_id: Snowflake;
  online_count: number;
  presences: Presence[];
}

async function online(node: ClusterNode, token: string): Promise<RawGateway> {
  const gw = await RawGateway.open(node.url);
  gw.identify(token);
  await gw.dispatch('READY');
  return gw;
}

const statusSeen = (gw: RawGateway, userId: Snowflake, status: Presence['status'], from: number) =>
  gw.next((f: RawFrame) => f.t === 'GUILD_PRESENCES' && (f.d as GuildPresences).presences.some((p) => p.user.id === userId && p.status === status), from);

describe('presence in a large server across nodes', () => {
  it('reaches a follower on one node when a followed member comes and goes on another', async () => {
    const { token: ownerToken } = await A.client().request(routes.auth.register, { body: { username: uniqueName('o'), password: 'correct horse battery' } });
    const owner = A.client(ownerToken);
    const guildId = (await owner.request(routes.guilds.create, { body: { name: 'Across nodes, large' } })).id;
    const channels = await owner.request(routes.guilds.listChannels, { params: { guild_id: guildId } });
    const general = channels.find((c) => c.name === 'general')!;
    const { code } = await owner.request(routes.invites.create, { params: { channel_id: general.id }, body: { max_uses: 0 } });
    const guests: { token: string; id: Snowflake }[] = [];
    // 52 members: more than the default large_threshold.
    for (let i = 0; i < 51; i++) {
      const { token, user } = await B.client().request(routes.auth.guest, { body: {} });
      await B.client(token).request(routes.invites.accept, { params: { code } });
      guests.push({ token, id: user.id });
    }
    const [followed, listed] = [guests[0]!, guests[1]!];

    const watcher = await online(A, ownerToken);
    watcher.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d: { guild_id: guildId, online: 5, members: [followed.id] } });
    const snapshot = (await watcher.dispatch('GUILD_PRESENCES')).d as GuildPresences;
    expect(snapshot.presences).toContainEqual(expect.objectContaining({ user: { id: followed.id }, status: 'offline' }));

    const from = watcher.frames.length;
    const followedLive = await online(B, followed.token);
    await statusSeen(watcher, followed.id, 'online', from);
    // The online list fills with whoever comes online, on any node.
    const listedLive = await online(B, listed.token);
    await statusSeen(watcher, listed.id, 'online', from);
    followedLive.close();
    await statusSeen(watcher, followed.id, 'offline', from);
    for (const gw of [watcher, listedLive]) gw.close();
  }, 60_000);
});
