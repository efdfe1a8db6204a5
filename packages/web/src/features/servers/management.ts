import { type Channel, ChannelType, Permissions, type Snowflake } from '@parley/protocol';
import { computed } from 'vue';
import { useRealtime } from '../realtime/store';
import { usePermissions } from '../chat/permissions';

/** Server settings sections, in the order the settings nav lists them, with what each needs (any one of). */
const SECTIONS = [
  { path: 'overview', label: 'Overview', needs: [Permissions.MANAGE_GUILD] },
  { path: 'roles', label: 'Roles', needs: [Permissions.MANAGE_ROLES] },
  { path: 'channels', label: 'Channels', needs: [Permissions.MANAGE_CHANNELS] },
  { path: 'invites', label: 'Invites', needs: [Permissions.MANAGE_GUILD] },
  { path: 'emoji', label: 'Emoji', needs: [Permissions.MANAGE_GUILD_EXPRESSIONS] },
  { path: 'members', label: 'Members', needs: [Permissions.KICK_MEMBERS, Permissions.BAN_MEMBERS, Permissions.MODERATE_MEMBERS, Permissions.MANAGE_ROLES] },
  { path: 'bans', label: 'Bans', needs: [Permissions.BAN_MEMBERS] },
  { path: 'audit-log', label: 'Audit log', needs: [Permissions.VIEW_AUDIT_LOG] },
] as const;

/**
 * One server as its settings screens see it: the guild, its channels, and what the signed-in
 * user may change (computed like the server does; the server still decides).
 */
export function useManagedGuild(guildId: () => Snowflake) {
  const realtime = useRealtime();
  const permissions = usePermissions();
  const guild = computed(() => realtime.cache?.guilds.get(guildId()) ?? null);
  const mine = computed(() => permissions.inGuild(guildId()));
  const canManageGuild = computed(() => permissions.can(mine.value, Permissions.MANAGE_GUILD));
  const canManageChannels = computed(() => permissions.can(mine.value, Permissions.MANAGE_CHANNELS));
  const isOwner = computed(() => !!guild.value && guild.value.owner_id === realtime.me?.id);
  const allowedSections = computed(() => SECTIONS.filter((s) => s.needs.some((bit) => permissions.can(mine.value, bit))));
  const channels = computed<Channel[]>(() => [...(realtime.cache?.channels.values() ?? [])].filter((c) => c.guild_id === guildId() && c.type !== ChannelType.PUBLIC_THREAD));
  const categories = computed(() => channels.value.filter((c) => c.type === ChannelType.GUILD_CATEGORY).sort((a, b) => (a.position ?? 0) - (b.position ?? 0)));
  return { guild, canManageGuild, canManageChannels, isOwner, allowedSections, channels, categories };
}

/** The icon before a channel's name. */
export function channelIcon(channel: Channel): string {
  if (channel.type === ChannelType.GUILD_VOICE) return '🔊';
  if (channel.type === ChannelType.GUILD_STAGE_VOICE) return '🎙️';
  return channel.private ? '🔒' : '#';
}

/** Slow mode choices (seconds between one person's messages), as Discord offers them. */
export const SLOW_MODES = [
  { value: 0, label: 'Off' },
  { value: 5, label: '5 seconds' },
  { value: 10, label: '10 seconds' },
  { value: 15, label: '15 seconds' },
  { value: 30, label: '30 seconds' },
  { value: 60, label: '1 minute' },
  { value: 120, label: '2 minutes' },
  { value: 300, label: '5 minutes' },
  { value: 600, label: '10 minutes' },
  { value: 900, label: '15 minutes' },
  { value: 1800, label: '30 minutes' },
  { value: 3600, label: '1 hour' },
  { value: 7200, label: '2 hours' },
  { value: 21_600, label: '6 hours' },
];
