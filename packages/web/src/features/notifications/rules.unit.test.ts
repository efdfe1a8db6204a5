import { type Message, MessageNotificationLevel, type Snowflake, type UserGuildSettings } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { effectiveNotifications } from '@parley/protocol';
import { type NotifyContext, defaultSettings, notificationBody, shouldNotify } from './rules';

const { ALL_MESSAGES, ONLY_MENTIONS, NO_MESSAGES, INHERIT } = MessageNotificationLevel;
const sf = (id: string) => id as Snowflake;
const user = (id: string) => ({ id: sf(id), username: `u${id}`, global_name: null, avatar: null, discriminator: '0', public_flags: 0, bot: false });

function message(overrides: Partial<Message> = {}): Message {
  return {
    id: sf('900'),
    channel_id: sf('50'),
    guild_id: sf('1'),
    author: user('2') as Message['author'],
    content: 'hello',
    timestamp: new Date(0).toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: [],
    embeds: [],
    pinned: false,
    type: 0,
    flags: 0,
    ...overrides,
  };
}

const settings = (overrides: Partial<UserGuildSettings> = {}): UserGuildSettings => ({ ...defaultSettings(sf('1')), ...overrides });
const context = (overrides: Partial<NotifyContext> = {}): NotifyContext => ({
  userId: sf('3'),
  roleIds: new Set([sf('77')]),
  doNotDisturb: false,
  looking: false,
  messageRequest: false,
  settings: settings(),
  chain: [sf('50'), sf('40')],
  ...overrides,
});
const mention = message({ mentions: [user('3') as Message['author']] });

describe('desktop notification rules', () => {
  it('notify for mentions by default (directly, @everyone, a role of yours), not for other chatter', () => {
    expect(shouldNotify(mention, context())).toBe(true);
    expect(shouldNotify(message({ mention_everyone: true }), context())).toBe(true);
    expect(shouldNotify(message({ mention_roles: [sf('77')] }), context())).toBe(true);
    expect(shouldNotify(message({ mention_roles: [sf('78')] }), context())).toBe(false);
    expect(shouldNotify(message(), context())).toBe(false);
  });

  it('notify for every DM but message requests', () => {
    const dm = message({ guild_id: undefined });
    expect(shouldNotify(dm, context({ settings: null, chain: [] }))).toBe(true);
    expect(shouldNotify(dm, context({ settings: null, chain: [], messageRequest: true }))).toBe(false);
  });

  it('stay quiet for your own messages, under Do Not Disturb, and for the conversation on screen', () => {
    expect(shouldNotify(message({ author: user('3') as Message['author'], mention_everyone: true }), context())).toBe(false);
    expect(shouldNotify(mention, context({ doNotDisturb: true }))).toBe(false);
    expect(shouldNotify(mention, context({ looking: true }))).toBe(false);
  });

  it('follow the server level, then a category override, then the channel’s own', () => {
    expect(shouldNotify(message(), context({ settings: settings({ message_notifications: ALL_MESSAGES }) }))).toBe(true);
    expect(shouldNotify(mention, context({ settings: settings({ message_notifications: NO_MESSAGES }) }))).toBe(false);
    const category = { channel_id: sf('40'), message_notifications: ALL_MESSAGES, muted: false };
    expect(shouldNotify(message(), context({ settings: settings({ channel_overrides: [category] }) }))).toBe(true);
    const channel = { channel_id: sf('50'), message_notifications: NO_MESSAGES, muted: false };
    expect(shouldNotify(mention, context({ settings: settings({ channel_overrides: [category, channel] }) }))).toBe(false);
    const inherit = { channel_id: sf('50'), message_notifications: INHERIT, muted: false };
    expect(effectiveNotifications(settings({ channel_overrides: [inherit] }), [sf('50'), sf('40')])).toEqual({ level: ONLY_MENTIONS, muted: false });
  });

  it('are silenced by a mute on the server, the category or the channel', () => {
    expect(shouldNotify(mention, context({ settings: settings({ muted: true }) }))).toBe(false);
    const mutedCategory = { channel_id: sf('40'), message_notifications: INHERIT, muted: true };
    expect(shouldNotify(mention, context({ settings: settings({ channel_overrides: [mutedCategory] }) }))).toBe(false);
  });

  it('say what the message says, with names for mentions, shortened', () => {
    const names = { user: (id: string) => (id === '3' ? 'Ada' : null), channel: () => 'general', role: () => 'mods' };
    expect(notificationBody(message({ content: 'hi <@3>, see <#9>\n<@&77> <@!8>' }), names)).toBe('hi @Ada, see #general @mods @someone');
    expect(notificationBody(message({ content: 'x'.repeat(300) }), names)).toHaveLength(180);
    const file = { id: '1', filename: 'cat.png', size: 1, url: '', proxy_url: '' } as Message['attachments'][number];
    expect(notificationBody(message({ content: '', attachments: [file] }), names)).toBe('Sent cat.png');
    const envelope = { epoch: 1, device_id: '5', ciphertext: 'AAAA', signature: 'AAAA', commitment: 'AAAA' } as Message['encrypted'];
    expect(notificationBody(message({ content: '', encrypted: envelope }), names)).toBe('Sent an encrypted message');
    expect(notificationBody(message({ content: '', embeds: [{ type: 'rich', title: 'Build failed', description: 'on main' }] }), names)).toBe('Build failed');
    expect(notificationBody(message({ content: '', type: 3, call: { participants: [], ended_timestamp: null } }), names)).toBe('Started a call');
  });
});
