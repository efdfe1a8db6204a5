import type { Channel, Message, Snowflake } from '@parley/protocol';
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { router } from '../../router';
import { usePeople } from '../chat/people';
import { useE2ee } from '../e2ee/store';
import { useRealtime } from '../realtime/store';
import { notificationBody, shouldNotify } from './rules';
import { useNotificationSettings } from './settings';

const ENABLED_KEY = 'parley.desktopNotifications';
const ICON = '/icons/icon-192.png';

type NotificationPermissionState = NotificationPermission | 'unsupported';

/**
 * Browser notifications for messages the user's settings say are worth it (mentions by
 * default, every DM), while they are not looking at that conversation. Clicking one brings the
 * tab forward on the conversation. Whether this browser shows them at all is a choice per
 * device (kept locally), on top of the browser's own permission.
 */
export const useDesktopNotifications = defineStore('desktopNotifications', () => {
  const realtime = useRealtime();
  const people = usePeople();
  const settings = useNotificationSettings();
  const e2ee = useE2ee();
  const supported = typeof Notification !== 'undefined';
  const permission = ref<NotificationPermissionState>(supported ? Notification.permission : 'unsupported');
  /** This device's choice; the default is on, so granting permission is all it takes. */
  const enabled = ref(localStorage.getItem(ENABLED_KEY) !== 'off');
  watch(enabled, (on) => localStorage.setItem(ENABLED_KEY, on ? 'on' : 'off'));

  // The user may change the permission in the browser's site settings while the app is open.
  if (supported && navigator.permissions) {
    void navigator.permissions
      .query({ name: 'notifications' })
      .then((status) => status.addEventListener('change', () => (permission.value = Notification.permission)))
      .catch(() => undefined);
  }

  async function requestPermission(): Promise<void> {
    if (!supported) return;
    permission.value = await Notification.requestPermission();
  }

  function show(title: string, options: NotificationOptions, path?: string): void {
    if (!supported || permission.value !== 'granted' || !enabled.value) return;
    const notification = new Notification(title, { icon: ICON, ...options });
    notification.onclick = () => {
      window.focus();
      if (path) void router.push(path);
      notification.close();
    };
  }

  /** What the settings page's "Send a test notification" shows. */
  function showTest(): void {
    show('Parley', { body: 'Desktop notifications work. Mentions and direct messages will look like this.', tag: 'parley-test' });
  }

  /** The user has this conversation in front of them: no need to call them over. */
  function isLooking(channelId: Snowflake): boolean {
    return document.visibilityState === 'visible' && document.hasFocus() && router.currentRoute.value.params.channelId === channelId;
  }

  function roleIdsIn(guildId: Snowflake | undefined): Set<Snowflake> {
    const me = realtime.me;
    return new Set(guildId && me ? (realtime.cache?.members.get(guildId)?.get(me.id)?.roles ?? []) : []);
  }

  function titleFor(message: Message, channel: Channel | undefined): string {
    const author = people.nameOf(message.author, message.guild_id);
    if (!message.guild_id) return channel?.recipients && channel.recipients.length > 1 ? `${author} (${people.dmTitle(channel)})` : author;
    const guild = realtime.cache?.guilds.get(message.guild_id);
    return `${author} (#${channel?.name ?? 'channel'}${guild ? `, ${guild.name}` : ''})`;
  }

  function onMessage(message: Message): void {
    const me = realtime.me;
    if (!me || permission.value !== 'granted' || !enabled.value) return;
    const channel = realtime.cache?.channels.get(message.channel_id);
    const notify = shouldNotify(message, {
      userId: me.id,
      roleIds: roleIdsIn(message.guild_id),
      doNotDisturb: realtime.status === 'dnd',
      looking: isLooking(message.channel_id),
      messageRequest: channel?.message_request === true,
      settings: message.guild_id ? settings.ofGuild(message.guild_id) : null,
      chain: channel && message.guild_id ? settings.chainOf(channel) : [message.channel_id],
    });
    if (!notify) return;
    // An encrypted message shows its text only if this device opens it.
    if (message.encrypted) {
      void e2ee.reveal({ ...message, encrypted: message.encrypted }).then((result) => notifyOf({ ...message, content: 'content' in result ? result.content : '' }, channel));
      return;
    }
    notifyOf(message, channel);
  }

  function notifyOf(message: Message, channel: Channel | undefined): void {
    const body = notificationBody(message, {
      user: (id) => {
        const user = people.userById(id as Snowflake, message.guild_id);
        return user ? people.nameOf(user, message.guild_id) : null;
      },
      channel: (id) => realtime.cache?.channels.get(id as Snowflake)?.name ?? null,
      role: (id) => (message.guild_id ? (realtime.cache?.guilds.get(message.guild_id)?.roles.find((r) => r.id === id)?.name ?? null) : null),
    });
    const avatar = message.author.avatar ? `/cdn/avatars/${message.author.id}/${message.author.avatar}.webp` : ICON;
    show(titleFor(message, channel), { body, icon: avatar }, `/channels/${message.guild_id ?? '@me'}/${message.channel_id}`);
  }

  realtime.on('MESSAGE_CREATE', onMessage);

  return { supported, permission, enabled, requestPermission, showTest };
});
