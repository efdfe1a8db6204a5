import { type Channel, ChannelType, type Snowflake } from '@parley/protocol';

/**
 * The order of a server's channels as the settings screen edits it: channels without a
 * category first, then each category with its channels. Moves produce a new arrangement;
 * `reorderChanges` turns it into the positions the server needs (only what changed).
 */
export interface ChannelGroup {
  category: Channel | null;
  channels: Channel[];
}

/** One entry of `PATCH /guilds/:id/channels`. */
export interface PositionChange {
  id: Snowflake;
  position: number;
  parent_id?: Snowflake | null;
}

const byPosition = (a: Channel, b: Channel) => (a.position ?? 0) - (b.position ?? 0) || (BigInt(a.id) < BigInt(b.id) ? -1 : 1);

/** A server's channels (threads left out), grouped and ordered as the sidebar shows them. */
export function groupChannels(channels: Iterable<Channel>): ChannelGroup[] {
  const all = [...channels].filter((c) => c.type !== ChannelType.PUBLIC_THREAD);
  const categories = all.filter((c) => c.type === ChannelType.GUILD_CATEGORY).sort(byPosition);
  const known = new Set(categories.map((c) => c.id));
  // A channel whose category is gone shows without one, as the server treats it.
  const parentOf = (c: Channel) => (c.parent_id && known.has(c.parent_id) ? c.parent_id : null);
  const inGroup = (id: Snowflake | null) => all.filter((c) => c.type !== ChannelType.GUILD_CATEGORY && parentOf(c) === id).sort(byPosition);
  return [{ category: null, channels: inGroup(null) }, ...categories.map((category) => ({ category, channels: inGroup(category.id) }))];
}

function locate(groups: ChannelGroup[], channelId: Snowflake): { group: number; index: number } | null {
  for (const [group, g] of groups.entries()) {
    const index = g.channels.findIndex((c) => c.id === channelId);
    if (index >= 0) return { group, index };
  }
  return null;
}

const copy = (groups: ChannelGroup[]) => groups.map((g) => ({ category: g.category, channels: [...g.channels] }));

/**
 * One step up or down for a channel: within its category, or past the edge into the next
 * category over (to its end going up, its start going down). Null when it cannot go further.
 */
export function moveChannel(groups: ChannelGroup[], channelId: Snowflake, direction: -1 | 1): ChannelGroup[] | null {
  const at = locate(groups, channelId);
  if (!at) return null;
  const next = copy(groups);
  const channels = next[at.group]!.channels;
  const target = at.index + direction;
  if (target >= 0 && target < channels.length) {
    [channels[at.index], channels[target]] = [channels[target]!, channels[at.index]!];
    return next;
  }
  const neighbour = next[at.group + direction];
  if (!neighbour) return null;
  const [channel] = channels.splice(at.index, 1);
  if (direction < 0) neighbour.channels.push(channel!);
  else neighbour.channels.unshift(channel!);
  return next;
}

/** One step up or down for a category among the categories. Null at either end. */
export function moveCategory(groups: ChannelGroup[], categoryId: Snowflake, direction: -1 | 1): ChannelGroup[] | null {
  const index = groups.findIndex((g) => g.category?.id === categoryId);
  const target = index + direction;
  // Index 0 is "no category", which stays first.
  if (index < 1 || target < 1 || target >= groups.length) return null;
  const next = copy(groups);
  [next[index], next[target]] = [next[target]!, next[index]!];
  return next;
}

/** Puts a channel into a category (null: none) at an index, as a drop does. */
export function placeChannel(groups: ChannelGroup[], channelId: Snowflake, categoryId: Snowflake | null, index: number): ChannelGroup[] | null {
  const at = locate(groups, channelId);
  const targetGroup = groups.findIndex((g) => (g.category?.id ?? null) === categoryId);
  if (!at || targetGroup < 0) return null;
  const next = copy(groups);
  const [channel] = next[at.group]!.channels.splice(at.index, 1);
  // Removing it first shifts what came after it in the same category.
  const adjusted = at.group === targetGroup && at.index < index ? index - 1 : index;
  next[targetGroup]!.channels.splice(Math.max(0, Math.min(adjusted, next[targetGroup]!.channels.length)), 0, channel!);
  return next;
}

/** Puts a category at an index among the categories (0 is the first category). */
export function placeCategory(groups: ChannelGroup[], categoryId: Snowflake, index: number): ChannelGroup[] | null {
  const from = groups.findIndex((g) => g.category?.id === categoryId);
  if (from < 1) return null;
  const next = copy(groups);
  const [moved] = next.splice(from, 1);
  const adjusted = from - 1 < index ? index - 1 : index;
  next.splice(1 + Math.max(0, Math.min(adjusted, next.length - 1)), 0, moved!);
  return next;
}

/**
 * Numbers categories and each category's channels from 0 and returns the entries whose position
 * or category differs from what the channels say now. Channels always name their category, so
 * a move between categories is one entry.
 */
export function reorderChanges(groups: ChannelGroup[]): PositionChange[] {
  const changes: PositionChange[] = [];
  groups.forEach((group, groupIndex) => {
    if (group.category && group.category.position !== groupIndex - 1) changes.push({ id: group.category.id, position: groupIndex - 1 });
    const parentId = group.category?.id ?? null;
    group.channels.forEach((channel, position) => {
      if (channel.position !== position || (channel.parent_id ?? null) !== parentId) changes.push({ id: channel.id, position, parent_id: parentId });
    });
  });
  return changes;
}
