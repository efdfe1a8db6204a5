import { type Channel, ChannelType, type Snowflake } from '@parley/protocol';
import type { CacheState } from '@parley/sdk';

/**
 * The order conversations appear in the sidebars, for moving between them by keyboard:
 * a server's text channels (uncategorised first, then each category, by position) and DMs
 * (most recent first, message requests apart).
 */

const byPosition = (a: Channel, b: Channel) => (a.position ?? 0) - (b.position ?? 0) || (BigInt(a.id) < BigInt(b.id) ? -1 : 1);

export function guildTextChannels(cache: CacheState, guildId: Snowflake): Channel[] {
  const channels = [...cache.channels.values()].filter((c) => c.guild_id === guildId);
  const textIn = (parent: Snowflake | null) => channels.filter((c) => c.type === ChannelType.GUILD_TEXT && (c.parent_id ?? null) === parent).sort(byPosition);
  const categories = channels.filter((c) => c.type === ChannelType.GUILD_CATEGORY).sort(byPosition);
  return [...textIn(null), ...categories.flatMap((category) => textIn(category.id))];
}

export function dmChannels(cache: CacheState): Channel[] {
  const recent = (a: Channel, b: Channel) => (BigInt(b.last_message_id ?? b.id) > BigInt(a.last_message_id ?? a.id) ? 1 : -1);
  return [...cache.channels.values()].filter((c) => (c.type === ChannelType.DM || c.type === ChannelType.GROUP_DM) && !c.message_request).sort(recent);
}

/** The route of a conversation. */
export function channelPath(channel: Channel): string {
  return `/channels/${channel.guild_id ?? '@me'}/${channel.id}`;
}

/**
 * The conversation `step` places away from `current` in `list` (wrapping around), optionally
 * only among those `eligible`; null when there is none to go to.
 */
export function neighbour(list: readonly Channel[], current: Snowflake | null, step: 1 | -1, eligible: (c: Channel) => boolean = () => true): Channel | null {
  const at = list.findIndex((c) => c.id === current);
  for (let i = 1; i <= list.length; i++) {
    const candidate = list[((((at < 0 && step < 0 ? 0 : at) + step * i) % list.length) + list.length) % list.length]!;
    if (candidate.id !== current && eligible(candidate)) return candidate;
  }
  return null;
}
