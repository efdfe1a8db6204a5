import { ChannelType } from '@parley/protocol';

// The permission computation itself is shared with clients: guildPermissions, channelPermissions
// and DM_PERMISSIONS in protocol/src/permissions.ts. Channel-kind helpers stay here.

export function isDirect(type: number): boolean {
  return type === ChannelType.DM || type === ChannelType.GROUP_DM;
}

export function isThread(type: number): boolean {
  return type === ChannelType.PUBLIC_THREAD;
}
