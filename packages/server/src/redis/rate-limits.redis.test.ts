import { ChannelType, type Snowflake, routes } from '@parley/protocol';
import { RestClient, sessionOf } from '@parley/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, type ClusterNode, startCluster } from '../testing/cluster';
import { failure, uniqueName } from '../testing/fixtures';

/*
 * Two real nodes behind one (pretend) proxy: limits hold for the whole deployment, however a
 * client's requests are spread across nodes.
 */

let cluster: Cluster;
let A: ClusterNode, B: ClusterNode;
const password = 'correct horse battery';
let ipCounter = 0;

/** A REST client for a node, as a client at `ip` behind the trusted proxy would reach it. */
function from(node: ClusterNode, ip: string, token: string | null = null): RestClient {
  return new RestClient({
    baseUrl: node.url,
    token,
    fetch: (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), 'x-forwarded-for': ip } }),
  });
}

/** A fresh client IP, so sign-ups in one test do not count against another's limit. */
const freshIp = () => `198.51.100.${++ipCounter}`;

async function signUp(node: ClusterNode): Promise<{ username: string; token: string }> {
  const username = uniqueName('rl');
  const { token } = await from(node, freshIp()).request(routes.auth.register, { body: { username, password } });
  return { username, token };
}

beforeAll(async () => {
  cluster = await startCluster({
    nodes: 2,
    env: { TRUST_PROXY: '1', AUTH_RATE_LIMIT_IP: '3/60', AUTH_RATE_LIMIT_ACCOUNT: '3/900', MESSAGE_RATE_LIMIT: '3/60' },
  });
  [A, B] = cluster.nodes as [ClusterNode, ClusterNode];
}, 120_000);

afterAll(() => cluster?.close(), 60_000);

afterEach(({ task }) => {
  if (task.result?.state === 'fail' && cluster) for (const node of cluster.nodes) console.log(`--- ${node.name} output ---\n${node.output()}`);
});

describe('rate limits across nodes', () => {
  it('counts sign-in attempts from one IP on every node together', async () => {
    const { username } = await signUp(A);
    const ip = '203.0.113.7';
    const attempt = (node: ClusterNode) => from(node, ip).request(routes.auth.login, { body: { login: username, password } });
    await attempt(A);
    await attempt(B);
    await attempt(A);
    const refused = await failure(attempt(B));
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBeGreaterThan(30);
    // Someone else, on the same node, is not held up.
    await from(B, '203.0.113.8').request(routes.auth.login, { body: { login: username, password } });
  });

  it('holds back unfamiliar IPs after failed passwords spread across nodes, but not the owner at home', async () => {
    const username = uniqueName('rl');
    const home = freshIp();
    await from(B, home).request(routes.auth.register, { body: { username, password } });
    for (const node of [A, B, A]) {
      const wrong = await failure(from(node, freshIp()).request(routes.auth.login, { body: { login: username, password: 'not the password' } }));
      expect(wrong.fieldMessage('login')).toBe('Login or password is invalid.');
    }
    const locked = await failure(from(B, freshIp()).request(routes.auth.login, { body: { login: username, password } }));
    expect(locked.status).toBe(429);
    // The address the account signed up from is known to every node (in the database).
    expect(sessionOf(await from(A, home).request(routes.auth.login, { body: { login: username, password } })).token).toBeTruthy();
  });

  it('limits how fast one person sends messages, whichever node each message goes through', async () => {
    const { token } = await signUp(A);
    const guild = await from(A, freshIp(), token).request(routes.guilds.create, { body: { name: 'Busy' } });
    const channels = await from(A, freshIp(), token).request(routes.guilds.listChannels, { params: { guild_id: guild.id } });
    const channelId: Snowflake = channels.find((c) => c.type === ChannelType.GUILD_TEXT)!.id;
    const send = (node: ClusterNode, content: string) => node.client(token).request(routes.messages.create, { params: { channel_id: channelId }, body: { content } });
    await send(A, 'one');
    await send(B, 'two');
    await send(A, 'three');
    const refused = await failure(send(B, 'four'));
    expect(refused).toMatchObject({ status: 429, code: 90001 });
    const history = await A.client(token).request(routes.messages.list, { params: { channel_id: channelId }, query: {} });
    expect(history.map((m) => m.content)).toEqual(['three', 'two', 'one']);
  });
});
