import { type PermissionName, Permissions } from '@parley/protocol';

/** How each permission reads to a person deciding whether to grant it (bot links, role settings). */
const LABELS: Record<PermissionName, string> = {
  ADMINISTRATOR: 'Administrator (every permission)',
  MANAGE_GUILD: 'Manage the server',
  MANAGE_CHANNELS: 'Manage channels',
  MANAGE_ROLES: 'Manage roles',
  VIEW_AUDIT_LOG: 'View audit log',
  MANAGE_WEBHOOKS: 'Manage webhooks',
  MANAGE_GUILD_EXPRESSIONS: 'Manage expressions',
  KICK_MEMBERS: 'Kick members',
  BAN_MEMBERS: 'Ban members',
  MODERATE_MEMBERS: 'Time out members',
  CREATE_INSTANT_INVITE: 'Create invites',
  CHANGE_NICKNAME: 'Change nickname',
  MANAGE_NICKNAMES: 'Manage nicknames',
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
  STREAM: 'Video and screen sharing',
  MUTE_MEMBERS: 'Mute members',
  DEAFEN_MEMBERS: 'Deafen members',
  MOVE_MEMBERS: 'Move members',
  REQUEST_TO_SPEAK: 'Request to speak',
};

/** The readable name of one permission. */
export function permissionLabel(name: PermissionName): string {
  return LABELS[name];
}

/** The readable names of the permissions set in a bit field. */
export function permissionNames(bits: bigint): string[] {
  return (Object.entries(Permissions) as [PermissionName, bigint][]).filter(([, bit]) => (bits & bit) === bit).map(([name]) => LABELS[name]);
}

/** What a typical chat bot needs; the default for new authorize links. */
export const DEFAULT_BOT_PERMISSIONS =
  Permissions.VIEW_CHANNEL | Permissions.SEND_MESSAGES | Permissions.READ_MESSAGE_HISTORY | Permissions.ADD_REACTIONS | Permissions.EMBED_LINKS | Permissions.ATTACH_FILES;
