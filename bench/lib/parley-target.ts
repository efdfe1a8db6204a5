import { routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import type { FanoutTarget } from './fanout';
import type { Deployment } from './parley';
import { type BenchGuild, createGuests, createGuild } from './setup';

/** Log lines while a scenario sets itself up (stderr, so stdout stays the report). */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/**
 * Parley as a fan-out target: `members` guests in one guild, set up through the API, receivers
 * spread over the nodes, senders posting through the SDK's RestClient.
 */
export async function parleyFanoutTarget(deployment: Deployment, members: number, senders: number): Promise<{ target: FanoutTarget; guild: BenchGuild }> {
  const [first] = deployment.nodes;
  progress(`creating ${members} guests`);
  const users = await createGuests(first!.baseUrl, members);
  progress('creating the guild, joining through an invite');
  const guild = await createGuild(first!.baseUrl, users[0]!, users.slice(1));
  const nodes = deployment.nodes;
  const clients = guild.members.slice(0, Math.min(senders, members)).map((u, i) => new RestClient({ baseUrl: nodes[i % nodes.length]!.baseUrl, token: u.token }));
  const target: FanoutTarget = {
    label: `parley (${deployment.options.engine}${deployment.options.redis ? '+redis' : ''}, ${nodes.length} node${nodes.length > 1 ? 's' : ''})`,
    pids: nodes.map((node) => node.pid),
    gatewayUrl: (i) => nodes[i % nodes.length]!.gatewayUrl,
    receiverTokens: guild.members.map((m) => m.token),
    send: async (sender, content, nonce) => {
      await clients[sender % clients.length]!.request(routes.messages.create, { params: { channel_id: guild.channelId }, body: { content, nonce } });
    },
  };
  return { target, guild };
}
