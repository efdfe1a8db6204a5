import { createHmac } from 'node:crypto';
import type { IceServer, Snowflake } from '@parley/protocol';
import type { Config } from '../../config';

/**
 * STUN and TURN servers for calls. TURN credentials follow coturn's REST-API scheme
 * (`use-auth-secret`): coturn shares only a secret with us, so a credential is proof that this
 * server issued it for that user until that time, and nothing needs storing on either side.
 */

/** coturn's scheme: username `<expiry unix seconds>:<user id>`, credential base64(HMAC-SHA1(secret, username)). */
function turnCredential(secret: string, userId: Snowflake, expiresAtSeconds: number): { username: string; credential: string } {
  const username = `${expiresAtSeconds}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The ICE servers one user gets now: STUN as configured, TURN with a credential that expires. */
export function iceServersFor(ice: Config['ice'], userId: Snowflake, nowMs: number): { ice_servers: IceServer[]; expires_at: string } {
  const expiresAtSeconds = Math.floor(nowMs / 1000) + ice.ttlSeconds;
  const servers: IceServer[] = [];
  if (ice.stunUrls.length > 0) servers.push({ urls: ice.stunUrls });
  if (ice.turn) servers.push({ urls: ice.turn.urls, ...turnCredential(ice.turn.secret, userId, expiresAtSeconds) });
  return { ice_servers: servers, expires_at: new Date(expiresAtSeconds * 1000).toISOString() };
}
