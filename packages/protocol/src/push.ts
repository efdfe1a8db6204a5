import { z } from 'zod';
import { defineRoute } from './route';

/*
 * Web Push (`@parley/protocol/push`): a browser that agreed hands the server its push
 * subscription (the push service's URL and the keys the payload is encrypted to), one per
 * sign-in session; the server then pushes mentions, DMs, replies and call rings there while the
 * person has no Parley open (docs/push.md). Apart from the main entry: only the notification
 * settings and the service worker's helper load it.
 */

export const PushLimits = {
  /** Push services' URLs are far shorter (FCM's ~200, Mozilla's ~300). */
  endpointMax: 1024,
} as const;

/**
 * The subscription's keys as PushSubscription.toJSON() gives them (base64url, RFC 8291):
 * `p256dh` an uncompressed P-256 point (65 bytes, 0x04 first), `auth` 16 random bytes.
 */
export const PushKeys = z.object({
  p256dh: z
    .string()
    .max(88)
    .regex(/^B[A-Za-z0-9_-]{86}=?$/, 'Must be an uncompressed P-256 public key (65 bytes, base64url)'),
  auth: z
    .string()
    .max(24)
    .regex(/^[A-Za-z0-9_-]{22}(==)?$/, 'Must be 16 bytes, base64url'),
});

export const PutPushSubscriptionBody = z.object({
  /** The push service's URL for this browser: https (http only to loopback, where the server allows it). */
  endpoint: z.url({ protocol: /^https?$/, message: 'Must be an http(s) URL' }).max(PushLimits.endpointMax),
  /** The browser's expiry for it, if any (epoch ms), as PushSubscription.toJSON() gives it. */
  expirationTime: z.number().int().nullable().optional(),
  keys: PushKeys,
  /** Whether notifications on this device may show the message's text (otherwise "New message from …"). */
  previews: z.boolean().default(false),
});
export type PutPushSubscriptionBody = z.input<typeof PutPushSubscriptionBody>;

/** This sign-in session's push subscription, as the server keeps it. */
export const PushSubscriptionInfo = z.object({
  endpoint: z.string(),
  previews: z.boolean(),
  created_at: z.iso.datetime(),
});
export type PushSubscriptionInfo = z.infer<typeof PushSubscriptionInfo>;

/**
 * What a push carries (JSON, encrypted to the subscription's keys), for the service worker to
 * show: `url` is the app page that opens the message (or the call).
 */
export const PushPayload = z.object({
  kind: z.enum(['message', 'call']),
  title: z.string(),
  body: z.string(),
  url: z.string(),
  /** Replaces an earlier notification with the same tag (one per conversation). */
  tag: z.string(),
  channel_id: z.string(),
  message_id: z.string(),
  icon: z.string().optional(),
});
export type PushPayload = z.infer<typeof PushPayload>;

export const pushRoutes = {
  getVapidKey: defineRoute({
    method: 'GET',
    path: '/push/vapid-key',
    summary: "The server's VAPID public key (the applicationServerKey a browser subscribes with)",
    tag: 'Push',
    auth: 'none',
    response: z.object({ public_key: z.string() }),
  }),
  getSubscription: defineRoute({
    method: 'GET',
    path: '/users/@me/push-subscription',
    summary: "This sign-in session's push subscription, or null",
    tag: 'Push',
    auth: 'person',
    response: z.object({ subscription: PushSubscriptionInfo.nullable() }),
  }),
  putSubscription: defineRoute({
    method: 'PUT',
    path: '/users/@me/push-subscription',
    summary: "Save this sign-in session's push subscription (replaces its earlier one); removed with the session",
    tag: 'Push',
    auth: 'person',
    body: PutPushSubscriptionBody,
    bodyLimit: 4096,
    response: PushSubscriptionInfo,
  }),
  deleteSubscription: defineRoute({
    method: 'DELETE',
    path: '/users/@me/push-subscription',
    summary: "Stop pushing to this sign-in session's browser",
    tag: 'Push',
    auth: 'person',
    response: null,
  }),
};
