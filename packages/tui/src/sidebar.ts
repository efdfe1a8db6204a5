import { ChannelType, type Snowflake } from '@parley/protocol';
import type { ParleyCache } from '@parley/sdk';
import { sanitize } from './sanitize';

/** One row of the side list: a server's heading or a channel / DM one can open. */
export type Entry = { kind: 'heading'; label: string } | { kind: 'channel'; id: Snowflake; label: string; guildId: Snowflake | null };

/** Said after an end-to-end encrypted conversation's name, in the side list and the title. */
const ENCRYPTED = ' (encrypted)';

/** Servers with their text channels, then DMs; names sanitized (they are other people's text too). */
export function sidebarEntries(cache: ParleyCache): Entry[] {
  const entries: Entry[] = [];
  for (const guild of cache.guilds.values()) {
    entries.push({ kind: 'heading', label: sanitize(guild.name) });
    for (const channel of cache.channelsOf(guild.id)) {
      if (channel.type === ChannelType.GUILD_TEXT) entries.push({ kind: 'channel', id: channel.id, label: `#${sanitize(channel.name ?? '')}${channel.e2ee ? ENCRYPTED : ''}`, guildId: guild.id });
    }
  }
  const dms = [...cache.channels.values()].filter((c) => c.type === ChannelType.DM || c.type === ChannelType.GROUP_DM);
  if (dms.length > 0) entries.push({ kind: 'heading', label: 'Direct messages' });
  for (const dm of dms) {
    const names = (dm.recipients ?? []).map((u) => sanitize(u.global_name ?? u.username));
    const online = (dm.recipients ?? []).some((u) => cache.presences.has(u.id));
    entries.push({ kind: 'channel', id: dm.id, label: `${online ? '●' : '○'} ${dm.name ? sanitize(dm.name) : names.join(', ')}${dm.e2ee ? ENCRYPTED : ''}`, guildId: null });
  }
  return entries;
}
