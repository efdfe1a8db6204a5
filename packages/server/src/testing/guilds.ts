import { ChannelType, type Channel, type Guild, routes } from '@parley/protocol';
import type { RestClient } from '@parley/sdk';

/** A new server owned by `owner`, with its default #general text channel. */
export async function createGuild(owner: RestClient, name = 'Test Server'): Promise<{ guild: Guild; general: Channel }> {
  const guild = await owner.request(routes.guilds.create, { body: { name } });
  const channels = await owner.request(routes.guilds.listChannels, { params: { guild_id: guild.id } });
  const general = channels.find((c) => c.type === ChannelType.GUILD_TEXT && c.name === 'general')!;
  return { guild, general };
}

/** Brings `member` into the server through a fresh invite to `channel`. */
export async function joinGuild(owner: RestClient, member: RestClient, channel: Channel): Promise<void> {
  const invite = await owner.request(routes.invites.create, { params: { channel_id: channel.id }, body: {} });
  await member.request(routes.invites.accept, { params: { code: invite.code } });
}
