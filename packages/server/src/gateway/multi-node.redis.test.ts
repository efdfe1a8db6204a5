import { ChannelType, type GuildCreate, OverwriteType, Permissions, type Presence, type Ready, type Snowflake, routes } from '@parley/protocol';
import { GatewayClient, type RestClient } from '@parley/sdk';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, type ClusterNode, startCluster } from '../testing/cluster';
import { Collector, collect } from '../testing/collector';
import { uniqueName } from '../testing/fixtures';
import { RawGateway } from '../testing/raw-gateway';

/*
 * Three real server processes sharing PostgreSQL and Redis, with clients spread over them: what
 * one node publishes reaches the others' clients, presence is one truth across them, and a node
 * dying loses no client anything.
 */

let cluster: Cluster;
let A: ClusterNode, B: ClusterNode, C: ClusterNode;
let owner: Person;
let guildId: Snowflake;
let channelId: Snowflake;
let inviteCode: string;

interface Person {
  userId: Snowflake;
  token: string;
  /** REST through the node they signed up on. */
  rest: RestClient;
}

async function signUp(node: ClusterNode): Promise<Person> {
  const { token, user_id } = await node.client().request(routes.auth.register, { body: { username: uniqueName('n'), password: 'correct horse battery' } });
  return { userId: user_id, token, rest: node.client(token) };
}

/** A new member of the test server, joined through the given node. */
async function member(node: ClusterNode): Promise<Person> {
  const person = await signUp(node);
  await person.rest.request(routes.invites.accept, { params: { code: inviteCode } });
  return person;
}

const presenceOf = (userId: Snowflake, status: Presence['status']) => (p: Presence) => p.user.id === userId && p.status === status;
const send = (person: Person, content: string, via?: ClusterNode) =>
  (via ? via.client(person.token) : person.rest).request(routes.messages.create, { params: { channel_id: channelId }, body: { content } });

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, env: { NODE_TIMEOUT_SECONDS: '1', MESSAGE_RATE_LIMIT: '1000/60' } });
  [A, B, C] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
  owner = await signUp(A);
  guildId = (await owner.rest.request(routes.guilds.create, { body: { name: 'Across nodes' } })).id;
  const channels = await owner.rest.request(routes.guilds.listChannels, { params: { guild_id: guildId } });
  channelId = channels.find((c) => c.type === ChannelType.GUILD_TEXT)!.id;
  inviteCode = (await owner.rest.request(routes.invites.create, { params: { channel_id: channelId }, body: {} })).code;
}, 120_000);

afterAll(() => cluster?.close(), 60_000);

afterEach(({ task }) => {
  if (task.result?.state === 'fail' && cluster) for (const node of cluster.nodes) console.log(`--- ${node.name} output ---\n${node.output()}`);
});

describe('several nodes on PostgreSQL and Redis', () => {
  it('delivers a message sent through any node to members on every node, in one order, with IDs from distinct workers', async () => {
    const bob = await member(B);
    const cy = await member(C);
    const clients = [await A.connect(owner.token), await B.connect(bob.token), await C.connect(cy.token)];
    const received = clients.map((client) => collect(client.gateway, 'MESSAGE_CREATE'));

    const sent = [await send(owner, 'from A'), await send(bob, 'from B'), await send(cy, 'from C')];
    for (const messages of received) {
      const got = await messages.count(3);
      expect(got.map((m) => m.content)).toEqual(['from A', 'from B', 'from C']);
      expect(got.map((m) => m.id)).toEqual(sent.map((m) => m.id));
    }
    // Each node leased its own snowflake worker ID, so IDs minted at once never collide.
    const workers = sent.map((m) => Number((BigInt(m.id) >> 12n) & 0x3ffn));
    expect(new Set(workers).size).toBe(3);
  });

  it('shows typing to members connected to other nodes', async () => {
    const bob = await member(B);
    const watchers = [await A.connect(owner.token), await C.connect((await member(C)).token)];
    const typing = watchers.map((client) => collect(client.gateway, 'TYPING_START'));
    await bob.rest.request(routes.channels.typing, { params: { channel_id: channelId } });
    for (const events of typing) {
      const [event] = await events.until('bob typing', (items) => items.some((e) => e.user_id === bob.userId));
      expect(event).toMatchObject({ channel_id: channelId, guild_id: guildId, user_id: bob.userId });
    }
  });

  it('tells every node when someone comes online, and when their last session (on another node) goes', async () => {
    const dee = await member(C);
    const onA = collect((await A.connect(owner.token)).gateway, 'PRESENCE_UPDATE');
    const onB = collect((await B.connect((await member(B)).token)).gateway, 'PRESENCE_UPDATE');

    const phone = await C.connect(dee.token);
    const laptop = await A.connect(dee.token);
    for (const updates of [onA, onB]) await updates.until('dee online', (items) => items.some(presenceOf(dee.userId, 'online')));

    phone.gateway.close(); // another session (on another node) keeps dee online
    laptop.gateway.updatePresence('dnd');
    for (const updates of [onA, onB]) await updates.until('dee dnd', (items) => items.some(presenceOf(dee.userId, 'dnd')));
    laptop.gateway.close();
    for (const updates of [onA, onB]) {
      const got = await updates.until('dee offline', (items) => items.some(presenceOf(dee.userId, 'offline')));
      // Never offline in between: the phone leaving while the laptop stayed changed nothing.
      expect(got.filter((p) => p.user.id === dee.userId).map((p) => p.status)).toEqual(['online', 'dnd', 'offline']);
    }
  });

  it('closes a session signed out through one node on the node it is connected to', async () => {
    const person = await signUp(A);
    const onB = await RawGateway.open(B.url);
    onB.identify(person.token);
    await onB.dispatch('READY');
    await person.rest.request(routes.auth.logout);
    expect(await onB.closeCode()).toBe(4004);
  });

  it("serves a guild's roles and overwrites changed through another node in the next READY (each node keeps its own copy)", async () => {
    const readyGuild = async (node: ClusterNode) => {
      const gateway = await RawGateway.open(node.url);
      gateway.identify(owner.token);
      const ready = (await gateway.dispatch('READY')).d as Ready;
      gateway.close();
      return ready.guilds.find((g) => g.id === guildId) as GuildCreate;
    };
    expect((await readyGuild(A)).roles.map((r) => r.name)).not.toContain('Across');
    const role = await B.client(owner.token).request(routes.roles.create, { params: { guild_id: guildId }, body: { name: 'Across' } });
    expect((await readyGuild(A)).roles.map((r) => r.name)).toContain('Across');
    const overwrite = { id: role.id, type: OverwriteType.ROLE, allow: String(Permissions.SEND_MESSAGES), deny: '0' };
    await C.client(owner.token).request(routes.moderation.editOverwrite, { params: { channel_id: channelId, overwrite_id: role.id }, body: overwrite });
    expect((await readyGuild(A)).channels.find((c) => c.id === channelId)?.permission_overwrites).toEqual([overwrite]);
    await B.client(owner.token).request(routes.roles.delete, { params: { guild_id: guildId, role_id: role.id } });
    const after = await readyGuild(A);
    expect(after.roles.map((r) => r.name)).not.toContain('Across');
    expect(after.channels.find((c) => c.id === channelId)?.permission_overwrites).toEqual([]);
  });

  it('resumes a client on another node after its node is killed, with every message exactly once and in order', async () => {
    const vic = await member(C);
    const gone = await member(C);
    const ownerLive = await A.connect(owner.token);
    const presence = collect(ownerLive.gateway, 'PRESENCE_UPDATE');

    // Vic's client asks `url` where to connect: C at first, and (once allowed) B after C dies.
    let target = C;
    const vicLive = new GatewayClient({ url: () => target.gatewayUrl, token: vic.token, WebSocket: WebSocket as never, backoff: { initialMs: 20, maxMs: 200 } });
    const messages = new Collector<{ content: string; seq: number }>();
    vicLive.on('MESSAGE_CREATE', (m) => messages.push({ content: m.content, seq: vicLive.seq! }));
    const readies = collect(vicLive, 'READY');
    const resumed = collect(vicLive, 'RESUMED');
    const invalidated = collect(vicLive, 'invalidated');
    const states = collect(vicLive, 'state');
    try {
      await vicLive.connect();
      const goneLive = await C.connect(gone.token);
      await presence.until('vic and gone online', (items) => items.some(presenceOf(vic.userId, 'online')) && items.some(presenceOf(gone.userId, 'online')));

      for (const [i, via] of [A, B, A].entries()) await send(owner, `m${i + 1}`, via);
      await messages.count(3);

      await C.kill();
      goneLive.gateway.close(); // gone never comes back: only the sweep can take them offline
      await states.until('vic reconnecting', (items) => items.includes('reconnecting'));
      for (const [i, via] of [B, A, B].entries()) await send(owner, `m${i + 4}`, via);

      // The survivors notice C is dead and sweep its sessions: both users go offline.
      await presence.until('vic and gone offline', (items) => items.some(presenceOf(vic.userId, 'offline')) && items.some(presenceOf(gone.userId, 'offline')), 10_000);
      target = B;
      await resumed.count(1, 10_000);
      await presence.until('vic online again', (items) => items.filter(presenceOf(vic.userId, 'online')).length === 2);

      for (const [i, via] of [A, B, A].entries()) await send(owner, `m${i + 7}`, via);
      const got = await messages.count(9);
      expect(got.map((m) => m.content)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
      expect(got.map((m) => m.seq)).toEqual([...got.map((m) => m.seq)].sort((a, b) => a - b));
      expect(new Set(got.map((m) => m.seq)).size).toBe(9);
      expect(readies.items).toHaveLength(1); // resumed, never identified afresh
      expect(invalidated.items).toHaveLength(0);
    } finally {
      vicLive.close();
    }
  }, 45_000);
});
