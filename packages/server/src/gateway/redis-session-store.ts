import type { Redis } from 'ioredis';
import type { GatewaySession, SessionStore } from './session-store';

/**
 * Resumable sessions in Redis, so a client can resume on any node. Each session is one JSON
 * value that expires after the resume window; every save (each heartbeat) starts the window anew.
 */
export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    /** Key prefix (REDIS_PREFIX). */
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  async save(session: GatewaySession): Promise<void> {
    await this.redis.set(this.key(session.id), JSON.stringify(session), 'PX', this.ttlMs);
  }

  async get(id: string): Promise<GatewaySession | null> {
    const json = await this.redis.get(this.key(id));
    return json === null ? null : (JSON.parse(json) as GatewaySession);
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }

  /** Nothing to release: the connection belongs to the caller. */
  async close(): Promise<void> {}

  private key(id: string): string {
    return `${this.prefix}session:${id}`;
  }
}
