import { ChannelType, GatewayCloseCode, GatewayOpcode, type GuildCreate, type Snowflake, type VoiceState, routes } from '@parley/protocol';
import { GatewayClient } from '@parley/sdk';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, type ClusterNode, startCluster } from '../testing/cluster';
import { collect } from '../testing/collector';
import { uniqueName } from '../testing/fixtures';
import { RawGateway } from '../testing/raw-gateway';

/*
 * A node told to stop (SIGTERM) with two nodes on PostgreSQL and Redis: it turns not ready first,
 * refuses new gateway connections, sends its clients op 7 and close 4000, and they resume on the
 * other node at once with every event published meanwhile, once; a caller on it keeps their call,
 * and nobody sees its people go offline.
 */

const GRACE_SECONDS = 2;
let cluster: Cluster;
let A: ClusterNode, B: ClusterNode;

interface Person {
  userId: Snowflake;
  token: string;
}

beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, env: { NODE_TIMEOUT_SECONDS: '1', CALL_RECONNECT_GRACE_SECONDS: String(GRACE_SECONDS), MESSAGE_RATE_LIMIT: '1000/60' } });
  [A, B] = cluster.nodes as [ClusterNode, ClusterNode];
}, 120_000);

afterAll(() => cluster?.close(), 60_000);

afterEach(({ task }) => {
  if (task.result?.state === 'fail' && cluster) for (const node of cluster.nodes) console.log(`--- ${node.name} output ---\n${node.output()}`);
});

async function signUp(node: ClusterNode): Promise<Person> {
  const { token, user_id } = await node.client().request(routes.auth.register, { body: { username: uniqueName('g'), password: 'correct horse battery' } });
  return { userId: user_id, token };
}

/**
 * A client as behind a load balancer: every (re)connect goes to a node still in rotation, which
 * is A until A is told to stop. Fast backoff, so a failed attempt does not slow the test down.
 */
async function connectViaBalancer(token: string): Promise<GatewayClient> {
  const gateway = new GatewayClient({ url: () => (A.alive ? A.gatewayUrl : B.gatewayUrl), token, WebSocket: WebSocket as never, backoff: { initialMs: 20, maxMs: 200 } });
  await gateway.connect();
  return gateway;
}

/** Whether a WebSocket upgrade to the node is accepted (false: refused, or nothing listens). */
function upgradeAccepted(node: ClusterNode): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${node.gatewayUrl}?v=10&encoding=json`);
    socket.once('open', () => {
      socket.terminate();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('a node told to stop', () => {
  it('sends its clients to the other node at once: nothing lost or repeated, calls kept, not ready before its sockets close', async () => {
    const owner = await signUp(B);
    const ownerRest = B.client(owner.token);
    const guildId = (await ownerRest.request(routes.guilds.create, { body: { name: 'Graceful stop' } })).id;
    const channels = await ownerRest.request(routes.guilds.listChannels, { params: { guild_id: guildId } });
    const textId = channels.find((c) => c.type === ChannelType.GUILD_TEXT)!.id;
    const voiceId = (await ownerRest.request(routes.channels.create, { params: { guild_id: guildId }, body: { name: 'talk', type: ChannelType.GUILD_VOICE } })).id;
    const code = (await ownerRest.request(routes.invites.create, { params: { channel_id: textId }, body: {} })).code;
    const members = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const person = await signUp(A);
        await A.client(person.token).request(routes.invites.accept, { params: { code } });
        return person;
      }),
    );

    // Five clients on A, one of them in a call with the owner, who is on B.
    const clients = await Promise.all(members.map((m) => connectViaBalancer(m.token)));
    const [caller, callerClient] = [members[0]!, clients[0]!];
    const ownerClient = await connectViaBalancer(owner.token); // still A: reconnect it to B
    ownerClient.close();
    const watcher = new GatewayClient({ url: B.gatewayUrl, token: owner.token, WebSocket: WebSocket as never });
    await watcher.connect();
    const voiceStates = collect(watcher, 'VOICE_STATE_UPDATE');
    const joinedBy = (userId: Snowflake, sessionId: string | null) => (states: readonly VoiceState[]) =>
      states.some((v) => v.user_id === userId && v.channel_id === voiceId && v.session_id === sessionId);
    watcher.updateVoiceState({ guild_id: guildId, channel_id: voiceId, self_mute: false, self_deaf: false });
    await voiceStates.until('the owner in the call', joinedBy(owner.userId, watcher.sessionId));
    callerClient.updateVoiceState({ guild_id: guildId, channel_id: voiceId, self_mute: false, self_deaf: false });
    await voiceStates.until('the caller in the call', joinedBy(caller.userId, callerClient.sessionId));

    const presences = collect(watcher, 'PRESENCE_UPDATE');
    const received = clients.map((client) => collect(client, 'MESSAGE_CREATE'));
    const resumed = clients.map((client) => collect(client, 'RESUMED'));
    const readies = clients.map((client) => collect(client, 'READY'));

    // A raw client on A that shows when op 7 goes out, and one that stops reading, so A's drain
    // waits for it (cut after 5 s): the window in which A is stopping but not yet gone.
    const observer = await RawGateway.open(A.url);
    observer.identify(members[1]!.token);
    await observer.next((f) => f.t === 'READY');
    const stalled = await RawGateway.open(A.url);
    stalled.identify(members[2]!.token);
    await stalled.next((f) => f.t === 'READY');
    (stalled.socket as unknown as { _socket: { pause(): void } })._socket.pause();

    // The owner sends steadily through B, before, during and after A's stop; A stops after the 10th.
    const TOTAL = 40;
    const acknowledged: Snowflake[] = [];
    let stopped: Promise<number | null> | null = null;
    const startedStopping = Date.now();
    let stoppedAfterMs = 0;
    const sending = (async () => {
      for (let i = 0; i < TOTAL; i++) {
        acknowledged.push((await ownerRest.request(routes.messages.create, { params: { channel_id: textId }, body: { content: `m${i}` } })).id);
        if (i === 9) {
          stopped = A.stop(30_000).then((code) => {
            stoppedAfterMs = Date.now() - startedStopping;
            return code;
          });
        }
      }
    })();

    // A says reconnect (op 7, then close 4000); by then it is not ready and refuses new gateway connections.
    await observer.next((f) => f.op === GatewayOpcode.RECONNECT);
    const readyz = await fetch(`${A.url}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await upgradeAccepted(A)).toBe(false);
    expect(await observer.closeCode()).toBe(GatewayCloseCode.UNKNOWN_ERROR);

    await sending;
    // Every client on A resumed on B (no new READY) and received every acknowledged message once, in order.
    for (const [i, messages] of received.entries()) {
      await resumed[i]!.count(1, 10_000);
      const got = await messages.until('every acknowledged message', (items) => acknowledged.every((id) => items.some((m) => m.id === id)), 10_000);
      expect(got.map((m) => m.id).filter((id) => acknowledged.includes(id))).toEqual(acknowledged);
      expect(readies[i]!.items).toHaveLength(0);
    }

    // A exited on its own, within the bound, after cutting the client that never answered its close.
    expect(await stopped).toBe(0);
    expect(stoppedAfterMs).toBeLessThan(20_000);

    // The caller kept their call on B: their session now holds it there (a flag change goes through),
    // and it outlives the reconnect grace several times over without anyone hearing them leave.
    callerClient.updateVoiceState({ guild_id: guildId, channel_id: voiceId, self_mute: true, self_deaf: false });
    await voiceStates.until('the caller muting through B', (states) => states.some((v) => v.user_id === caller.userId && v.self_mute && v.channel_id === voiceId));
    await new Promise((resolve) => setTimeout(resolve, GRACE_SECONDS * 2500));
    expect(voiceStates.items.filter((v) => v.user_id === caller.userId && v.channel_id === null)).toEqual([]);
    // Nor did anyone see A's people go offline and back: they were resuming, not leaving.
    expect(presences.items.filter((p) => p.status === 'offline').map((p) => p.user.id)).toEqual([]);
    const fresh = new GatewayClient({ url: B.gatewayUrl, token: members[3]!.token, WebSocket: WebSocket as never });
    const guild = (await fresh.connect()).guilds.find((g) => g.id === guildId) as GuildCreate;
    expect(guild!.voice_states.map((v) => v.user_id).sort()).toEqual([owner.userId, caller.userId].sort());

    for (const client of [...clients, watcher, fresh]) client.close();
    stalled.socket.terminate();
  }, 90_000);
});
