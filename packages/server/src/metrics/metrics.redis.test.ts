import { ChannelType, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, type ClusterNode, startCluster } from '../testing/cluster';
import { collect } from '../testing/collector';
import { uniqueName } from '../testing/fixtures';
import { scrape, valueOf } from '../testing/metrics';

/*
 * Two real server processes on PostgreSQL + Redis: a message sent through node A and delivered to
 * a client on node B shows on B as time spent on the bus and a delivery, and on A as a send.
 */

const TOKEN = 'metrics-token-for-tests-0123456789';
let cluster: Cluster;
let A: ClusterNode, B: ClusterNode;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 2, env: { METRICS_TOKEN: TOKEN } });
  [A, B] = cluster.nodes as [ClusterNode, ClusterNode];
}, 120_000);
afterAll(() => cluster?.close(), 60_000);

const metricsOf = async (node: ClusterNode) => (await scrape(node.url, TOKEN)).text();

describe('metrics across nodes', () => {
  it('observes the bus lag and the delivery on the node that receives what another published', async () => {
    const signUp = async (node: ClusterNode) => {
      const { token } = await node.client().request(routes.auth.register, { body: { username: uniqueName('m'), password: 'correct horse battery' } });
      return node.client(token);
    };
    const owner = await signUp(A);
    const guild = await owner.request(routes.guilds.create, { body: { name: 'Metrics' } });
    const channel = (await owner.request(routes.guilds.listChannels, { params: { guild_id: guild.id } })).find((c) => c.type === ChannelType.GUILD_TEXT)!;
    const invite = await owner.request(routes.invites.create, { params: { channel_id: channel.id }, body: {} });
    const reader = await signUp(B);
    await reader.request(routes.invites.accept, { params: { code: invite.code } });
    const listener = await B.connect(reader.token!);
    const [beforeA, beforeB] = await Promise.all([metricsOf(A), metricsOf(B)]);

    const received = collect(listener.gateway, 'MESSAGE_CREATE');
    await owner.request(routes.messages.create, { params: { channel_id: channel.id }, body: { content: 'across' } });
    await received.count(1);

    const [afterA, afterB] = await Promise.all([metricsOf(A), metricsOf(B)]);
    const moved = (before: string, after: string, name: string) => valueOf(after, name) - valueOf(before, name);
    expect(moved(beforeA, afterA, 'parley_message_send_seconds_count')).toBe(1);
    expect(moved(beforeA, afterA, 'parley_events_published_total')).toBeGreaterThanOrEqual(1);
    expect(moved(beforeB, afterB, 'parley_bus_lag_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(moved(beforeB, afterB, 'parley_events_delivered_total')).toBeGreaterThanOrEqual(1);
    expect(moved(beforeB, afterB, 'parley_event_delivery_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(valueOf(afterB, 'parley_gateway_connections')).toBeGreaterThanOrEqual(1);
    // Two nodes on one machine, one clock: the lag is real time spent, well under a second here.
    expect(valueOf(afterB, 'parley_bus_lag_seconds_bucket', { le: '1' })).toBe(valueOf(afterB, 'parley_bus_lag_seconds_count'));
  });
});
