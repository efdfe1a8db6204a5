import type { FastifyBaseLogger } from 'fastify';
import type { AppContext } from '../../context';
import { PushNotifier } from './notifier';
import { PushSender } from './sender';
import { loadVapidKeys } from './vapid';

/** Web Push for one server: its VAPID keys and what decides and sends pushes (docs/push.md). */
export interface PushService {
  publicKey: string;
  notifier: PushNotifier;
}

/**
 * Loads (or makes, on the first start) the instance's VAPID keys and starts pushing
 * what this node publishes. The VAPID subject is PUBLIC_URL when it is https, else a mailto:
 * address at its host (push services want a way to reach the operator).
 */
export async function startPush(ctx: AppContext, logger: FastifyBaseLogger): Promise<PushService> {
  const keys = await loadVapidKeys(ctx.db, ctx.config.dataDir, ctx.clock.now());
  const publicUrl = ctx.config.publicUrl;
  const host = publicUrl ? new URL(publicUrl).hostname : 'localhost';
  const subject = publicUrl?.startsWith('https:') ? publicUrl : `mailto:parley@${host}`;
  const notifier = new PushNotifier(ctx, new PushSender(keys, subject, ctx.config.push.allowLoopback), logger);
  ctx.events.onPublish((events) => notifier.observe(events));
  return { publicKey: keys.publicKey, notifier };
}
