import { type Message, MessageNotificationLevel, MessageType, type Snowflake, type UserGuildSettings, effectiveNotifications } from '@parley/protocol';
import { mentionsUser } from '@parley/sdk';
import { type MentionNames, mentionsAsText } from '@parley/sdk';
import { embedSummary } from '../chat/embeds/embeds';

/**
 * Which messages deserve a desktop notification, as pure functions of the user's settings, so
 * the rules are tested without a browser. The store in desktop.ts feeds them live data.
 */

/** A server level: all messages, only mentions, or nothing. */
export type GuildLevel = UserGuildSettings['message_notifications'];

/** What a server notifies about for someone who never changed it: its own default. */
export function defaultSettings(guildId: Snowflake, level: number = MessageNotificationLevel.ONLY_MENTIONS): UserGuildSettings {
  const known = level === MessageNotificationLevel.ALL_MESSAGES || level === MessageNotificationLevel.NO_MESSAGES;
  return { guild_id: guildId, message_notifications: known ? level : MessageNotificationLevel.ONLY_MENTIONS, muted: false, channel_overrides: [] };
}

export interface NotifyContext {
  userId: Snowflake;
  /** The user's roles in the message's server. */
  roleIds: ReadonlySet<Snowflake>;
  /** Do Not Disturb: nothing notifies. */
  doNotDisturb: boolean;
  /** The user has the conversation in front of them (tab visible and focused, channel open). */
  looking: boolean;
  /** A DM the user has not accepted yet: requests wait quietly in their list. */
  messageRequest: boolean;
  /** The server's settings (null for DMs) and the channel's inheritance chain. */
  settings: UserGuildSettings | null;
  chain: readonly Snowflake[];
}

/** Every DM (but requests) notifies; in servers, what the settings say. Never your own, never what you are looking at. */
export function shouldNotify(message: Message, context: NotifyContext): boolean {
  if (message.author.id === context.userId || context.doNotDisturb || context.looking) return false;
  if (!context.settings) return !context.messageRequest;
  const { level, muted } = effectiveNotifications(context.settings, context.chain);
  if (muted || level === MessageNotificationLevel.NO_MESSAGES) return false;
  return level === MessageNotificationLevel.ALL_MESSAGES || mentionsUser(message, context.userId, context.roleIds);
}

const BODY_MAX = 180;

/** A notification's text: the message with mentions as names, shortened, or what it carries. */
export function notificationBody(message: Message, names: MentionNames): string {
  // A DM call's system message has no text: in the background, the notification is the ring.
  if (message.type === MessageType.CALL) return 'Started a call';
  const text = mentionsAsText(message.content, names, BODY_MAX);
  if (text) return text;
  const files = message.attachments.length;
  if (files) return `Sent ${files === 1 ? message.attachments[0]!.filename : `${files} files`}`;
  // A webhook's or bot's message may be embeds alone: the first one's title says what it is.
  const embed = embedSummary(message);
  if (embed) return embed;
  // End-to-end encrypted, and this device could not open it: nothing of it is shown.
  return message.encrypted ? 'Sent an encrypted message' : 'Sent a message';
}
