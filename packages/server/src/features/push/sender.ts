import http from 'node:http';
import https from 'node:https';
import webPush from 'web-push';
import { resolveEndpoint } from './endpoint';
import type { VapidKeys } from './vapid';

/** What a push is sent to: a row of push_subscriptions. */
export interface PushTarget {
  endpoint: string;
  p256dh: string;
  auth: string;
}

/** How a push went: delivered, gone (404/410: the subscription expired and must be removed), or failed. */
export type PushOutcome = 'sent' | 'gone' | 'failed';

const TIMEOUT_MS = 10_000;
/** How long the push service keeps a push for a browser that is offline: a day. */
const TTL_SECONDS = 24 * 60 * 60;

/**
 * Sends one push: web-push encrypts the payload (aes128gcm, RFC 8291) and signs the VAPID
 * header (RFC 8292); the request itself goes out here, to the address checked by the endpoint
 * guard (endpoint.ts), with a timeout. (web-push's own sender speaks https only and resolves the
 * name itself.)
 */
export class PushSender {
  constructor(
    private readonly keys: VapidKeys,
    /** The VAPID subject: how a push service may reach the operator (https: or mailto: URL). */
    private readonly subject: string,
    private readonly allowLoopback: boolean,
  ) {}

  async send(target: PushTarget, payload: string, options: { urgency?: 'normal' | 'high'; topic?: string } = {}): Promise<PushOutcome> {
    const url = new URL(target.endpoint);
    const pinned = await resolveEndpoint(url, this.allowLoopback);
    if (!pinned) return 'failed';
    const details = webPush.generateRequestDetails({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, payload, {
      vapidDetails: { subject: this.subject, publicKey: this.keys.publicKey, privateKey: this.keys.privateKey },
      TTL: TTL_SECONDS,
      contentEncoding: 'aes128gcm',
      urgency: options.urgency ?? 'normal',
      ...(options.topic && { topic: options.topic }),
    });
    const status = await post(url, details.headers as Record<string, string | number>, details.body as Buffer, pinned);
    if (status === 404 || status === 410) return 'gone';
    return status >= 200 && status < 300 ? 'sent' : 'failed';
  }
}

/** The push service's status code, or 0 when the request failed. */
function post(url: URL, headers: Record<string, string | number>, body: Buffer, pinned: { address: string; family: number }): Promise<number> {
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    const request = client.request(
      url,
      {
        method: 'POST',
        headers,
        timeout: TIMEOUT_MS,
        // Connect to the address that was checked, whatever the name resolves to now.
        lookup: (_hostname, options, callback) => {
          if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
          else callback(null, pinned.address, pinned.family);
        },
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    request.on('timeout', () => request.destroy(new Error('push timed out')));
    request.on('error', () => resolve(0));
    request.end(body);
  });
}
