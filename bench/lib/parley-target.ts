import { API_PREFIX, buildPath, routes } from '@parley/protocol';
import type { FanoutTarget } from './fanout';
import { JsonPoster } from './http-post';
import type { Deployment } from './parley';
import { type BenchGuild, createGuests, createGuild } from './setup';

/** Log lines while a scenario sets itself up (stderr, so stdout stays the report). */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/**
 * Parley as a fan-out target: `members` guests in one guild, set up through the API, receivers
 * spread over the nodes, senders posting over kept-alive HTTP connections (http-post.ts).
 */
export async function parleyFanoutTarget(deployment: Deployment, members: number, senders: number): Promise<{ target: FanoutTarget; guild: BenchGuild }> {
  const [first] = deployment.nodes;
  progress(`creating ${members} guests`);
  const users = await createGuests(first!.baseUrl, members);
  progress('creating the guild, joining through an invite');
  const guild = await createGuild(first!.baseUrl, users[0]!, users.slice(1));
  const nodes = deployment.nodes;
  const posters = nodes.map((node) => new JsonPoster(node.baseUrl));
  const sendPath = API_PREFIX + buildPath(routes.messages.create.path, { channel_id: guild.channelId });
  const senderTokens = guild.members.slice(0, Math.min(senders, members)).map((u) => u.token);
  const target: FanoutTarget = {
    label: `parley (${deployment.options.engine}${deployment.options.redis ? '+redis' : ''}, ${nodes.length} node${nodes.length > 1 ? 's' : ''})`,
    pids: nodes.map((node) => node.pid),
    gatewayUrl: (i) => nodes[i % nodes.length]!.gatewayUrl,
    receiverTokens: guild.members.map((m) => m.token),
    send: async (sender, content, nonce) => {
      const index = sender % senderTokens.length;
      await posters[index % posters.length]!.post(sendPath, { content, nonce }, { authorization: senderTokens[index]! });
    },
  };
  return { target, guild };
}
