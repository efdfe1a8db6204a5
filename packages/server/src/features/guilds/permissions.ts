import { ChannelType, Permissions } from '@parley/protocol';

// The permission computation itself is shared with clients: guildPermissions and
// channelPermissions in protocol/src/permissions.ts. What is server-side only stays here.

/** What a DM or group DM recipient may do: talk, react, share, pin; nobody moderates. */
export const DM_PERMISSIONS =
  Permissions.VIEW_CHANNEL |
  Permissions.SEND_MESSAGES |
  Permissions.READ_MESSAGE_HISTORY |
  Permissions.ADD_REACTIONS |
  Permissions.ATTACH_FILES |
  Permissions.EMBED_LINKS |
  Permissions.PIN_MESSAGES |
  Permissions.CONNECT |
  Permissions.SPEAK |
  Permissions.STREAM;

export function isDirect(type: number): boolean {
  return type === ChannelType.DM || type === ChannelType.GROUP_DM;
}

export function isThread(type: number): boolean {
  return type === ChannelType.PUBLIC_THREAD;
}
