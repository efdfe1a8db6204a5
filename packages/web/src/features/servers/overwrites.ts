import { ChannelType, OverwriteType, isGuildVoiceChannel, type PermissionName, type PermissionOverwrite, Permissions, type Role, type Snowflake } from '@parley/protocol';
import { permissionLabel } from '../developer/permissionNames';
import { TEXT_CHANNEL_PERMISSIONS, VOICE_CHANNEL_PERMISSIONS } from './roles/permissionGroups';

/** One permission an overwrite can allow, leave alone (neutral) or deny in a channel. */
export interface ChannelPermissionItem {
  name: PermissionName;
  bit: bigint;
  label: string;
}

export type OverwriteSetting = 'allow' | 'neutral' | 'deny';

/** What an overwrite holds while it is edited: bit sets, not strings. */
export interface OverwriteDraft {
  allow: bigint;
  deny: bigint;
}

const GENERAL: PermissionName[] = ['VIEW_CHANNEL', 'MANAGE_CHANNELS', 'MANAGE_ROLES', 'CREATE_INSTANT_INVITE'];
/** Webhooks post into text channels only: offered there (and on categories, whose text channels inherit), after Manage Permissions as in Discord. */
const TEXT_GENERAL: PermissionName[] = ['VIEW_CHANNEL', 'MANAGE_CHANNELS', 'MANAGE_ROLES', 'MANAGE_WEBHOOKS', 'CREATE_INSTANT_INVITE'];
/** How a permission reads inside one channel (Discord's words: "Manage Channel", "Manage Permissions"). */
const IN_CHANNEL: Partial<Record<PermissionName, string>> = {
  VIEW_CHANNEL: 'View channel',
  MANAGE_CHANNELS: 'Manage channel',
  MANAGE_ROLES: 'Manage permissions',
};

/**
 * The permissions that mean something in a channel of this type, as Discord lists them: text
 * channels the text ones, voice channels the voice ones, a category both (its channels inherit).
 */
export function channelPermissionItems(channelType: number): ChannelPermissionItem[] {
  const names = isGuildVoiceChannel(channelType)
    ? [...GENERAL, ...VOICE_CHANNEL_PERMISSIONS]
    : channelType === ChannelType.GUILD_CATEGORY
      ? [...TEXT_GENERAL, ...TEXT_CHANNEL_PERMISSIONS, ...VOICE_CHANNEL_PERMISSIONS]
      : [...TEXT_GENERAL, ...TEXT_CHANNEL_PERMISSIONS];
  return names.map((name) => ({ name, bit: Permissions[name], label: IN_CHANNEL[name] ?? permissionLabel(name) }));
}

export function draftOf(overwrite: Pick<PermissionOverwrite, 'allow' | 'deny'>): OverwriteDraft {
  return { allow: BigInt(overwrite.allow), deny: BigInt(overwrite.deny) };
}

/** Whether an overwrite allows, denies or leaves a permission to the roles. */
export function settingOf(draft: OverwriteDraft, bit: bigint): OverwriteSetting {
  if ((draft.allow & bit) === bit) return 'allow';
  return (draft.deny & bit) === bit ? 'deny' : 'neutral';
}

/** The draft with one permission set to allow, neutral or deny (never both allowed and denied). */
export function withSetting(draft: OverwriteDraft, bit: bigint, setting: OverwriteSetting): OverwriteDraft {
  return {
    allow: setting === 'allow' ? draft.allow | bit : draft.allow & ~bit,
    deny: setting === 'deny' ? draft.deny | bit : draft.deny & ~bit,
  };
}

export const sameDraft = (a: OverwriteDraft, b: OverwriteDraft): boolean => a.allow === b.allow && a.deny === b.deny;

/**
 * A channel's overwrites in the order Discord lists them: roles by rank, highest first, with
 * @everyone last among them, then members (by the name given). An overwrite for a role that no
 * longer exists is left out.
 */
export function orderOverwrites<O extends Pick<PermissionOverwrite, 'id' | 'type'>>(overwrites: readonly O[], rolesByRank: readonly Pick<Role, 'id'>[], memberName: (id: Snowflake) => string): O[] {
  const rank = new Map(rolesByRank.map((role, index) => [role.id, index]));
  const roles = overwrites.filter((o) => o.type === OverwriteType.ROLE && rank.has(o.id)).sort((a, b) => rank.get(a.id)! - rank.get(b.id)!);
  const members = overwrites.filter((o) => o.type === OverwriteType.MEMBER).sort((a, b) => memberName(a.id).localeCompare(memberName(b.id)));
  return [...roles, ...members];
}
