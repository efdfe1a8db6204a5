import { type Channel, ChannelType, type Message, Permissions, hasPermission } from '@parley/protocol';
import type { Known } from './permissions';

/*
 * What a client offers, from the user's permissions in a channel (permissionsInChannel): the
 * actions it shows are the ones the server will allow. The server still decides.
 */

/** The actions a client offers on one message. Reply is always offered. */
export interface MessageOffer {
  react: boolean;
  startThread: boolean;
  pin: boolean;
  /** Only your own messages are edited. */
  edit: boolean;
  delete: boolean;
  /** Anyone else's message but the system's. */
  report: boolean;
}

/** Whether pinning and unpinning is offered in a channel. */
export function offersPin(permissions: bigint): boolean {
  return hasPermission(permissions, Permissions.PIN_MESSAGES) || hasPermission(permissions, Permissions.MANAGE_MESSAGES);
}

/** What to offer on a message, given the user's permissions in its channel; the cache says who you are and whether it has a thread. */
export function messageOffer(cache: Known, message: Pick<Message, 'id' | 'channel_id' | 'author' | 'thread'>, permissions: bigint): MessageOffer {
  const mine = message.author.id === cache.user?.id;
  const hasThread = (cache.channels.get(message.id) ?? message.thread) != null;
  const channel = cache.channels.get(message.channel_id);
  return {
    react: hasPermission(permissions, Permissions.ADD_REACTIONS),
    startThread: !hasThread && channel?.type === ChannelType.GUILD_TEXT && hasPermission(permissions, Permissions.CREATE_PUBLIC_THREADS),
    pin: offersPin(permissions),
    edit: mine,
    delete: mine || hasPermission(permissions, Permissions.MANAGE_MESSAGES),
    report: !mine && !message.author.system,
  };
}

/** Whether the composer may send in a channel (a thread needs its own permission), and attach files. */
export function composerOffer(channel: Pick<Channel, 'type' | 'e2ee'>, permissions: bigint): { send: boolean; attach: boolean } {
  const send = hasPermission(permissions, channel.type === ChannelType.PUBLIC_THREAD ? Permissions.SEND_MESSAGES_IN_THREADS : Permissions.SEND_MESSAGES);
  // In an encrypted conversation files are sealed on the device (EncryptedConversations.sealMessage).
  return { send, attach: send && hasPermission(permissions, Permissions.ATTACH_FILES) };
}

/**
 * Whether a channel's incoming webhooks are offered to manage: with Manage Webhooks where the
 * channel can be seen, in a server's text channel. 'encrypted' when they would be but the channel
 * is end-to-end encrypted (a webhook's text would be readable by the server: say why), null when
 * they are not offered at all.
 */
export function webhooksOffer(channel: Pick<Channel, 'type' | 'e2ee'>, permissions: bigint): 'manage' | 'encrypted' | null {
  if (channel.type !== ChannelType.GUILD_TEXT || !hasPermission(permissions, Permissions.VIEW_CHANNEL) || !hasPermission(permissions, Permissions.MANAGE_WEBHOOKS)) return null;
  return channel.e2ee ? 'encrypted' : 'manage';
}
