import { type PushSubscriptionInfo, pushRoutes } from '@parley/protocol/push';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { api, errorMessage } from '../../api';

/** Whether this browser can take pushes at all: a service worker and the Push API (and a secure origin). */
function pushSupported(): boolean {
  return typeof navigator !== 'undefined' && 'serviceWorker' in navigator && typeof PushManager !== 'undefined' && typeof Notification !== 'undefined';
}

/** The VAPID public key (base64url) as the bytes PushManager.subscribe takes. */
function keyBytes(base64url: string): Uint8Array<ArrayBuffer> {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Push notifications for when Parley is closed (docs/push.md): only after the person turns
 * them on here, this browser subscribes with the server's VAPID key and hands the server its
 * subscription, kept for this sign-in session (signing out removes it). Whether notifications
 * may show the message's text is a choice per device too.
 */
export const usePushNotifications = defineStore('pushNotifications', () => {
  const supported = pushSupported();
  /** This session's subscription as the server keeps it; null when off, undefined before loading. */
  const subscription = ref<PushSubscriptionInfo | null | undefined>(undefined);
  const busy = ref(false);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    if (!supported) return;
    try {
      subscription.value = (await api.request(pushRoutes.getSubscription)).subscription;
    } catch (e) {
      error.value = errorMessage(e);
    }
  }

  async function run(action: () => Promise<void>): Promise<void> {
    busy.value = true;
    error.value = null;
    try {
      await action();
    } catch (e) {
      error.value = e instanceof DOMException ? `Your browser refused: ${e.message}` : errorMessage(e);
    } finally {
      busy.value = false;
    }
  }

  /** Asks the browser (permission, then a push subscription) and saves it on the server. */
  function enable(previews: boolean): Promise<void> {
    return run(async () => {
      if (Notification.permission !== 'granted' && (await Notification.requestPermission()) !== 'granted') {
        throw new Error('Notifications are blocked for this site: allow them in the site settings, then try again.');
      }
      // Only a production build registers the worker (pwa/register.ts); without one, say so instead of waiting forever.
      const registration = await Promise.race([
        navigator.serviceWorker.ready,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('The app’s service worker is not running, so push cannot be set up here. Reload and try again.')), 10_000)),
      ]);
      const { public_key } = await api.request(pushRoutes.getVapidKey);
      const pushSubscription = (await registration.pushManager.getSubscription()) ?? (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(public_key) }));
      const json = pushSubscription.toJSON();
      subscription.value = await api.request(pushRoutes.putSubscription, {
        body: { endpoint: pushSubscription.endpoint, keys: { p256dh: json.keys?.p256dh ?? '', auth: json.keys?.auth ?? '' }, previews },
      });
    });
  }

  /** Stops pushes to this browser: the server forgets the subscription, and the browser drops it. */
  function disable(): Promise<void> {
    return run(async () => {
      await api.request(pushRoutes.deleteSubscription);
      subscription.value = null;
      const registration = await navigator.serviceWorker.getRegistration();
      await (await registration?.pushManager.getSubscription())?.unsubscribe();
    });
  }

  /** Changes whether this device's notifications show the message's text. */
  function setPreviews(previews: boolean): Promise<void> {
    return subscription.value ? enable(previews) : Promise.resolve();
  }

  return { supported, subscription, busy, error, load, enable, disable, setPreviews };
});
