import { z } from 'zod';
import { Snowflake } from './ids';
import { defineRoute } from './route';

/**
 * Discord's message notification levels. A server's level applies to its channels unless a
 * channel overrides it; INHERIT is what a channel override says to follow the server again.
 */
export const MessageNotificationLevel = {
  ALL_MESSAGES: 0,
  ONLY_MENTIONS: 1,
  NO_MESSAGES: 2,
  INHERIT: 3,
} as const;
export type MessageNotificationLevel = (typeof MessageNotificationLevel)[keyof typeof MessageNotificationLevel];

const GuildLevel = z.union([z.literal(MessageNotificationLevel.ALL_MESSAGES), z.literal(MessageNotificationLevel.ONLY_MENTIONS), z.literal(MessageNotificationLevel.NO_MESSAGES)]);
const ChannelLevel = z.union([GuildLevel, z.literal(MessageNotificationLevel.INHERIT)]);

/** One channel's departure from its server's settings. */
export const ChannelNotificationOverride = z.object({
  channel_id: Snowflake,
  message_notifications: ChannelLevel,
  muted: z.boolean(),
});
export type ChannelNotificationOverride = z.infer<typeof ChannelNotificationOverride>;

/**
 * How one user wants to hear about one server (Discord's user guild settings, the fields
 * Parley has). Stored on the server so every device of the user follows the same choice.
 */
export const UserGuildSettings = z.object({
  guild_id: Snowflake,
  message_notifications: GuildLevel,
  /** Nothing from this server notifies, whatever the level (mentions still count as unread). */
  muted: z.boolean(),
  /** Channels with their own level or mute; the others follow the server. */
  channel_overrides: z.array(ChannelNotificationOverride),
});
export type UserGuildSettings = z.infer<typeof UserGuildSettings>;

/**
 * A partial update. Each channel override given replaces that channel's (fields left out keep
 * their value); an override back at INHERIT and not muted is removed. Channels not named keep
 * theirs.
 */
export const UpdateUserGuildSettingsBody = z.object({
  message_notifications: GuildLevel.optional(),
  muted: z.boolean().optional(),
  channel_overrides: z
    .array(z.object({ channel_id: Snowflake, message_notifications: ChannelLevel.optional(), muted: z.boolean().optional() }))
    .max(500)
    .optional(),
});

export const notificationRoutes = {
  updateGuildSettings: defineRoute({
    method: 'PATCH',
    path: '/users/@me/guilds/:guild_id/settings',
    summary: 'Your notification settings for a server and its channels (all messages, only mentions, nothing; mute). Your other sessions get USER_GUILD_SETTINGS_UPDATE; READY carries them all',
    tag: 'Notifications',
    auth: 'person',
    requires: { guild: [] },
    params: z.object({ guild_id: Snowflake }),
    body: UpdateUserGuildSettingsBody,
    response: UserGuildSettings,
  }),
};

/** What applies to one channel after overrides. */
export interface EffectiveNotifications {
  level: UserGuildSettings['message_notifications'];
  muted: boolean;
}

/**
 * The settings that apply to a channel (the web client's desktop notifications and the server's
 * Web Push both decide by this). `chain` is the channel and what it inherits from, most
 * specific first: [channel, category], or [thread, channel, category]. The first override with
 * a level wins over the server's; a mute anywhere on the way (or on the server) silences it.
 */
export function effectiveNotifications(settings: UserGuildSettings, chain: readonly Snowflake[]): EffectiveNotifications {
  let level: EffectiveNotifications['level'] | null = null;
  let muted = settings.muted;
  for (const id of chain) {
    const override = settings.channel_overrides.find((o) => o.channel_id === id);
    if (!override) continue;
    muted ||= override.muted;
    if (level === null && override.message_notifications !== MessageNotificationLevel.INHERIT) level = override.message_notifications;
  }
  return { level: level ?? settings.message_notifications, muted };
}
