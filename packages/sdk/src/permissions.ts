import {
  type Channel,
  ChannelType,
  DM_CHANNEL_TYPES,
  DM_PERMISSIONS,
  type Snowflake,
  applyTimeout,
  computeBasePermissions,
  lacksRequiredTwoFactor,
  permissionsInChannel as computeInChannel,
} from '@parley/protocol';
import type { CacheState } from './cache';

/** A cache, or its state (what a UI holds reactively). */
export type Known = Pick<CacheState, 'user' | 'guilds' | 'members' | 'channels'>;

/*
 * What the signed-in user may do, computed from the cache with the server's own function
 * (protocol/permissions.ts: roles, overwrites, implicit permissions, timeout, private
 * channels), so a client offers exactly what the server will allow. The server still decides.
 * `now` judges a timeout; a UI re-asks when the timeout ends (see timeoutEndsAt in roles.ts).
 * A server that requires 2FA for moderation withholds those permissions until the user has it
 * (USER_UPDATE and GUILD_UPDATE keep both sides of that current).
 */

/** The signed-in user's permissions across a guild (0 when it is not in the cache). */
export function permissionsInGuild(cache: Known, guildId: Snowflake, now: number = Date.now()): bigint {
  const me = cache.user;
  const guild = cache.guilds.get(guildId);
  if (!me || !guild) return 0n;
  const member = cache.members.get(guildId)?.get(me.id);
  const twoFactorMissing = lacksRequiredTwoFactor(guild.mfa_level, me.mfa_enabled);
  const base = computeBasePermissions({ guildId, userId: me.id, ownerId: guild.owner_id, memberRoleIds: member?.roles ?? [], roles: guild.roles, twoFactorMissing });
  return applyTimeout(base, { communicationDisabledUntil: member?.communication_disabled_until, now });
}

/** The signed-in user's permissions in a channel, DM or thread. */
export function permissionsInChannel(cache: Known, channel: Channel, now: number = Date.now()): bigint {
  if (!channel.guild_id) return DM_CHANNEL_TYPES.includes(channel.type) ? DM_PERMISSIONS : 0n;
  const me = cache.user;
  const guild = cache.guilds.get(channel.guild_id);
  if (!me || !guild) return 0n;
  const member = cache.members.get(guild.id)?.get(me.id);
  const thread = channel.type === ChannelType.PUBLIC_THREAD;
  const parent = thread && channel.parent_id ? cache.channels.get(channel.parent_id) : undefined;
  // A thread whose parent the cache does not hold is judged by what it carries itself.
  const source = parent ?? channel;
  const rules = { overwrites: source.permission_overwrites ?? [], private: source.private === true, isMember: source.joined === true };
  return computeInChannel({
    guildId: guild.id,
    userId: me.id,
    ownerId: guild.owner_id,
    memberRoleIds: member?.roles ?? [],
    roles: guild.roles,
    channelType: channel.type,
    communicationDisabledUntil: member?.communication_disabled_until,
    twoFactorMissing: lacksRequiredTwoFactor(guild.mfa_level, me.mfa_enabled),
    now,
    ...(thread ? { threadParent: rules } : rules),
  });
}
