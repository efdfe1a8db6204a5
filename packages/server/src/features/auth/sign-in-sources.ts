import type { Snowflake } from '@parley/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock';
import { hashToken, newToken } from '../../core/tokens';
import type { Tables } from '../../db/tables';

/** Where a password attempt comes from: the client IP and the browser's device cookie, if any. */
export interface SignInSource {
  ip: string;
  deviceId: string | null;
}

/**
 * A random ID the server gives each browser that signs in, so the browser stays recognised
 * when its address changes (phones, home connections). HttpOnly: pages never see it; sent only
 * to the API, only from this site. It grants nothing by itself: it only decides which failure
 * counter a password attempt uses (rate-limit.ts).
 */
const DEVICE_COOKIE = 'parley_device';

/** A source is remembered this long after the account last signed in from it. */
const REMEMBER_SOURCE_MS = 180 * 24 * 3600 * 1000;

/** The device cookie's shape (a token from newToken): anything else is ignored. */
const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;

export function sourceOf(request: FastifyRequest): SignInSource {
  return { ip: request.ip, deviceId: readCookie(request.headers.cookie, DEVICE_COOKIE) };
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return DEVICE_ID.test(value) ? value : null;
    }
  }
  return null;
}

/**
 * The accounts' known sources (table `known_sign_in_sources`): each IP and each device cookie
 * an account has signed in from successfully in the last REMEMBER_SOURCE_MS. In the database,
 * so every node sees the same ones.
 */
export class KnownSources {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
    /** Mark the device cookie Secure even when the request looks like plain HTTP (PUBLIC_URL is https). */
    private readonly httpsOnly: boolean,
  ) {}

  /**
   * The key of the known source this attempt comes from, checking the device before the IP
   * (a recognised browser on a new network is still its owner's); null when both are unfamiliar.
   */
  async match(userId: Snowflake, source: SignInSource): Promise<string | null> {
    const keys = sourceKeys(source);
    const rows = await this.db
      .selectFrom('known_sign_in_sources')
      .select('source')
      .where('user_id', '=', userId)
      .where('source', 'in', keys)
      .where('last_signed_in_at', '>', this.clock.now() - REMEMBER_SOURCE_MS)
      .execute();
    return keys.find((key) => rows.some((row) => row.source === key)) ?? null;
  }

  /**
   * After a successful sign-in: remembers its IP and device (giving the browser a device cookie
   * if it had none) and forgets this account's sources that have gone stale. Pass the
   * transaction that creates the account, when there is one.
   */
  async remember(db: Kysely<Tables>, userId: Snowflake, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const seen = sourceOf(request);
    const deviceId = seen.deviceId ?? newToken();
    const now = this.clock.now();
    for (const source of sourceKeys({ ip: seen.ip, deviceId })) {
      await db
        .insertInto('known_sign_in_sources')
        .values({ user_id: userId, source, last_signed_in_at: now })
        .onConflict((oc) => oc.columns(['user_id', 'source']).doUpdateSet({ last_signed_in_at: now }))
        .execute();
    }
    await db
      .deleteFrom('known_sign_in_sources')
      .where('user_id', '=', userId)
      .where('last_signed_in_at', '<=', now - REMEMBER_SOURCE_MS)
      .execute();
    // Refreshed at every sign-in, so a browser in use keeps it.
    const attributes = [`Path=/api`, `Max-Age=${REMEMBER_SOURCE_MS / 1000}`, 'HttpOnly', 'SameSite=Strict', ...(this.httpsOnly || request.protocol === 'https' ? ['Secure'] : [])];
    reply.header('set-cookie', `${DEVICE_COOKIE}=${deviceId}; ${attributes.join('; ')}`);
  }
}

/** Device first, then IP; the device cookie is stored only as a hash, like session tokens. */
function sourceKeys(source: SignInSource): string[] {
  return [...(source.deviceId ? [`device:${hashToken(source.deviceId)}`] : []), `ip:${source.ip}`];
}
