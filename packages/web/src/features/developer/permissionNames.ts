import { type PermissionName, Permissions } from '@parley/protocol';

/** How each permission reads to a person deciding whether to grant it. */
const LABELS: Partial<Record<PermissionName, string>> = {
  ADMINISTRATOR: 'Administrator (every permission)',
  MANAGE_GUILD: 'Manage the server',
  MANAGE_CHANNELS: 'Manage channels',
  MANAGE_ROLES: 'Manage roles',
  KICK_MEMBERS: 'Kick members',
  BAN_MEMBERS: 'Ban members',
  CREATE_INSTANT_INVITE: 'Create invites',
  VIEW_CHANNEL: 'See channels',
  SEND_MESSAGES: 'Send messages',
  SEND_MESSAGES_IN_THREADS: 'Send messages in threads',
  CREATE_PUBLIC_THREADS: 'Start threads',
  MANAGE_MESSAGES: 'Manage messages',
  MANAGE_THREADS: 'Manage threads',
  READ_MESSAGE_HISTORY: 'Read message history',
  MENTION_EVERYONE: 'Mention @everyone',
  ADD_REACTIONS: 'Add reactions',
  ATTACH_FILES: 'Attach files',
  EMBED_LINKS: 'Embed links',
  PIN_MESSAGES: 'Pin messages',
  CONNECT: 'Join voice channels',
  SPEAK: 'Speak in voice channels',
};

/** The readable names of the permissions set in a bit field. */
export function permissionNames(bits: bigint): string[] {
  return (Object.entries(Permissions) as [PermissionName, bigint][]).filter(([, bit]) => (bits & bit) === bit).map(([name]) => LABELS[name] ?? name.toLowerCase().replace(/_/g, ' '));
}

/** What a typical chat bot needs; the default for new authorize links. */
export const DEFAULT_BOT_PERMISSIONS =
  Permissions.VIEW_CHANNEL | Permissions.SEND_MESSAGES | Permissions.READ_MESSAGE_HISTORY | Permissions.ADD_REACTIONS | Permissions.EMBED_LINKS | Permissions.ATTACH_FILES;
