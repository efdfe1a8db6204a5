import { ChannelType } from '@parley/protocol';

// Kinds of channel whose visibility rules differ (see access.ts): DMs belong to their
// recipients, threads follow their parent.

export function isDirect(type: number): boolean {
  return type === ChannelType.DM || type === ChannelType.GROUP_DM;
}

export function isThread(type: number): boolean {
  return type === ChannelType.PUBLIC_THREAD;
}
