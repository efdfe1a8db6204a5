import { type Channel, ChannelType, type Snowflake, type UpdateUserGuildSettingsBody, type UserGuildSettings, routes } from '@parley/protocol';
import type { z } from 'zod';
import { api } from '../../api';
import { useRealtime } from '../realtime/store';
import { defaultSettings } from './rules';

/** Labels for the levels, in the order menus list them. */
export const LEVEL_LABELS = {
  0: 'All messages',
  1: 'Only @mentions',
  2: 'Nothing',
} as const;

/**
 * The user's notification settings, read from the live cache (READY, then
 * USER_GUILD_SETTINGS_UPDATE from any of their devices) and changed through the server, so
 * every device follows the same choice.
 */
export function useNotificationSettings() {
  const realtime = useRealtime();

  function ofGuild(guildId: Snowflake): UserGuildSettings {
    const cache = realtime.cache;
    return cache?.guildSettings.get(guildId) ?? defaultSettings(guildId, cache?.guilds.get(guildId)?.default_message_notifications);
  }

  /** A channel and what it inherits from: [thread, channel, category] or [channel, category]. */
  function chainOf(channel: Channel): Snowflake[] {
    const chain = [channel.id];
    let parentId = channel.parent_id ?? null;
    while (parentId && chain.length < 3) {
      chain.push(parentId);
      parentId = realtime.cache?.channels.get(parentId)?.parent_id ?? null;
    }
    return chain;
  }

  /** The channel's own override, if it has one. */
  function overrideOf(channel: Channel) {
    return ofGuild(channel.guild_id!).channel_overrides.find((o) => o.channel_id === channel.id) ?? null;
  }

  /** Saves a change; the cache takes the server's answer at once rather than waiting for the event. */
  async function update(guildId: Snowflake, body: z.input<typeof UpdateUserGuildSettingsBody>): Promise<void> {
    const saved = await api.request(routes.notifications.updateGuildSettings, { params: { guild_id: guildId }, body });
    realtime.cache?.guildSettings.set(guildId, saved);
  }

  /** Channels a server's settings can single out: text and voice channels and categories. */
  function overridable(guildId: Snowflake): Channel[] {
    return [...(realtime.cache?.channels.values() ?? [])].filter((c) => c.guild_id === guildId && c.type !== ChannelType.PUBLIC_THREAD);
  }

  return { ofGuild, overrideOf, chainOf, update, overridable };
}
