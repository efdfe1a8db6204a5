import { routes } from '@parley/protocol';
import { ParleyApiError } from '@parley/sdk';
import { api } from '../../api';

/** What GET /calls/ice-servers answers (TURN credentials expire at `expires_at`). */
export interface IceServersAnswer {
  ice_servers: RTCIceServer[];
  expires_at: string;
}

/**
 * The instance's STUN/TURN servers, kept between calls so a join does not wait for them: fetched
 * ahead (when calls are prefetched) or on first use, and reused while at least half of their
 * credential's lifetime is left. Only half: coturn checks the expiry on the requests that keep a
 * relay alive too, so a call must start with time to spare (12 h of a 24 h credential, 30 s of a
 * 60 s one). One request at a time; a failed one is not kept. Keyed by the signed-in token, so
 * another account never gets these credentials (their username names the user).
 */
export class IceServerCache {
  private entry: { key: string | null; servers: RTCIceServer[]; fetchedAt: number; expiresAt: number } | null = null;
  private pending: { key: string | null; promise: Promise<RTCIceServer[]> } | null = null;

  constructor(
    private readonly fetchServers: () => Promise<IceServersAnswer | null>,
    private readonly key: () => string | null,
    private readonly now: () => number = Date.now,
  ) {}

  /** The servers, from the cache when still fresh (none when the instance has none or cannot say). */
  get(): Promise<RTCIceServer[]> {
    const key = this.key();
    const entry = this.entry;
    if (entry && entry.key === key && isFresh(entry.fetchedAt, entry.expiresAt, this.now())) return Promise.resolve(entry.servers);
    if (this.pending?.key === key) return this.pending.promise;
    const fetchedAt = this.now();
    const promise = this.fetchServers().then(
      (answer) => {
        if (this.pending?.promise === promise) this.pending = null;
        if (!answer) return [];
        const expiresAt = Date.parse(answer.expires_at);
        if (Number.isFinite(expiresAt)) this.entry = { key, servers: answer.ice_servers, fetchedAt, expiresAt };
        return answer.ice_servers;
      },
      () => {
        if (this.pending?.promise === promise) this.pending = null;
        return [];
      },
    );
    this.pending = { key, promise };
    return promise;
  }

  clear(): void {
    this.entry = null;
    this.pending = null;
  }
}

/** Whether servers fetched at `fetchedAt` with credentials expiring at `expiresAt` may still start a call at `now`. */
export function isFresh(fetchedAt: number, expiresAt: number, now: number): boolean {
  return now >= fetchedAt && now < fetchedAt + (expiresAt - fetchedAt) / 2;
}

const cache = new IceServerCache(
  async () => {
    try {
      return await api.request(routes.calls.iceServers);
    } catch (error) {
      if (!(error instanceof ParleyApiError && error.status === 404)) console.warn('No ICE servers', error);
      return null;
    }
  },
  () => api.token,
);

/**
 * The instance's STUN/TURN servers, for calls and peer-to-peer files. None when it has none,
 * or cannot say (a server without the route, a failed request): peers on one network still
 * connect directly.
 */
export function iceServers(): Promise<RTCIceServer[]> {
  return cache.get();
}
