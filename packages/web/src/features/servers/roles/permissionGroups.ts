import { ALL_PERMISSIONS, type PermissionName, Permissions, hasPermission } from '@parley/protocol';
import { permissionLabel } from '../../developer/permissionNames';

/** One permission switch: its bit, its name and what granting it lets someone do. */
export interface PermissionItem {
  name: PermissionName;
  bit: bigint;
  label: string;
  description: string;
}

export interface PermissionGroup {
  title: string;
  items: PermissionItem[];
}

/** What each permission lets a role's members do, in one line (Discord's explanations, for Parley). */
const DESCRIPTIONS: Record<PermissionName, string> = {
  VIEW_CHANNEL: 'Members can see and open channels by default (private channels excepted).',
  MANAGE_CHANNELS: 'Members can create, edit and delete channels and categories.',
  MANAGE_ROLES: 'Members can create roles and edit, give or take roles below their highest one.',
  VIEW_AUDIT_LOG: 'Members can read the record of changes and moderation in this server.',
  MANAGE_GUILD: "Members can change the server's name and icon and manage its invites.",
  MANAGE_WEBHOOKS: 'Members can create, list and delete webhooks: URLs that let other apps post messages in a channel.',
  MANAGE_GUILD_EXPRESSIONS: 'Members can add, rename and remove the server’s custom emoji.',
  CREATE_INSTANT_INVITE: 'Members can invite new people to this server.',
  CHANGE_NICKNAME: 'Members can change their own nickname in this server.',
  MANAGE_NICKNAMES: "Members can change other members' nicknames.",
  KICK_MEMBERS: 'Members can remove people below them from the server; they may rejoin with an invite.',
  BAN_MEMBERS: 'Members can ban people below them for good and delete their recent messages.',
  MODERATE_MEMBERS: 'Members can time out people below them: they can read but not talk, react or join calls.',
  SEND_MESSAGES: 'Members can send messages in text channels.',
  SEND_MESSAGES_IN_THREADS: 'Members can send messages in threads.',
  CREATE_PUBLIC_THREADS: 'Members can start threads from messages.',
  EMBED_LINKS: 'Links members share show a preview.',
  ATTACH_FILES: 'Members can upload files and images.',
  ADD_REACTIONS: 'Members can add new emoji reactions to messages.',
  MENTION_EVERYONE: 'Members can notify everyone with @everyone or @here, and mention any role.',
  MANAGE_MESSAGES: "Members can delete other people's messages.",
  PIN_MESSAGES: 'Members can pin and unpin messages.',
  MANAGE_THREADS: 'Members can rename, archive and delete threads.',
  READ_MESSAGE_HISTORY: 'Members can read messages sent before they opened the channel.',
  CONNECT: 'Members can join calls in voice channels.',
  SPEAK: 'Members can talk in calls (otherwise they only listen).',
  STREAM: 'Members can turn on their camera or share their screen in calls.',
  MUTE_MEMBERS: 'Members can mute other people in calls for everyone.',
  DEAFEN_MEMBERS: 'Members can deafen other people in calls.',
  MOVE_MEMBERS: 'Members can move people between voice channels or disconnect them.',
  REQUEST_TO_SPEAK: 'Members can raise a hand on a stage to ask to speak.',
  ADMINISTRATOR: 'Members have every permission and pass every channel restriction. Grant it with care.',
};

/** What matters in text channels, in Discord's order (the role editor and channel overwrites list them so). */
export const TEXT_CHANNEL_PERMISSIONS: PermissionName[] = [
  'SEND_MESSAGES',
  'SEND_MESSAGES_IN_THREADS',
  'CREATE_PUBLIC_THREADS',
  'EMBED_LINKS',
  'ATTACH_FILES',
  'ADD_REACTIONS',
  'MENTION_EVERYONE',
  'MANAGE_MESSAGES',
  'PIN_MESSAGES',
  'MANAGE_THREADS',
  'READ_MESSAGE_HISTORY',
];

/** What matters in voice channels, in Discord's order. */
export const VOICE_CHANNEL_PERMISSIONS: PermissionName[] = ['CONNECT', 'SPEAK', 'STREAM', 'REQUEST_TO_SPEAK', 'MUTE_MEMBERS', 'DEAFEN_MEMBERS', 'MOVE_MEMBERS'];

/** The switches of the role editor, grouped as Discord groups them. */
const GROUPS: { title: string; names: PermissionName[] }[] = [
  { title: 'General server permissions', names: ['VIEW_CHANNEL', 'MANAGE_CHANNELS', 'MANAGE_ROLES', 'VIEW_AUDIT_LOG', 'MANAGE_WEBHOOKS', 'MANAGE_GUILD_EXPRESSIONS', 'MANAGE_GUILD'] },
  { title: 'Membership permissions', names: ['CREATE_INSTANT_INVITE', 'CHANGE_NICKNAME', 'MANAGE_NICKNAMES', 'KICK_MEMBERS', 'BAN_MEMBERS', 'MODERATE_MEMBERS'] },
  {
    title: 'Text channel permissions',
    names: TEXT_CHANNEL_PERMISSIONS,
  },
  { title: 'Voice channel permissions', names: VOICE_CHANNEL_PERMISSIONS },
  { title: 'Advanced permissions', names: ['ADMINISTRATOR'] },
];

/** Every permission bit, each in exactly one group, with its label and explanation. */
export const PERMISSION_GROUPS: PermissionGroup[] = GROUPS.map((group) => ({
  title: group.title,
  items: group.names.map((name) => ({ name, bit: Permissions[name], label: permissionLabel(name), description: DESCRIPTIONS[name] })),
}));

/** Which bits someone holding `mine` (guild-wide) may switch on or off in a role: only those they hold themselves. */
export function switchableBits(mine: bigint): bigint {
  return hasPermission(mine, Permissions.ADMINISTRATOR) ? ALL_PERMISSIONS : mine;
}

/** A role's bits with one switched on or off. */
export function togglePermission(bits: bigint, bit: bigint, on: boolean): bigint {
  return on ? bits | bit : bits & ~bit;
}
