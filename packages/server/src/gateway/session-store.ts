import type { PresenceStatus, Snowflake } from '@parley/protocol';
import type { Clock } from '../core/clock';

/** What a gateway session needs to be resumed, possibly on another node. */
export interface GatewaySession {
  id: string;
  userId: Snowflake;
  bot: boolean;
  intents: number;
  /** The status the user chose on this session, restored on resume. */
  status: PresenceStatus;
  /** IDENTIFY's large_threshold, so a resume decides the same servers are large (absent: the default). */
  largeThreshold?: number;
}

/**
 * Resumable gateway sessions. A session outlives its connection by the resume window: a client
 * that reconnects in time (to any node) continues it; after that it must identify again.
 */
export interface SessionStore {
  /** Saves (or refreshes) a session; it stays resumable for the resume window. */
  save(session: GatewaySession): Promise<void>;
  get(id: string): Promise<GatewaySession | null>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}

/** Sessions of a single node, in memory, forgotten after the resume window. */
export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, { session: GatewaySession; expiresAt: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
  ) {}

  async save(session: GatewaySession): Promise<void> {
    this.sweep();
    this.sessions.set(session.id, { session, expiresAt: this.clock.now() + this.ttlMs });
  }

  async get(id: string): Promise<GatewaySession | null> {
    const entry = this.sessions.get(id);
    if (!entry || entry.expiresAt < this.clock.now()) return null;
    return entry.session;
  }

  async delete(id: string): Promise<void> {
    this.sessions.delete(id);
  }

  async close(): Promise<void> {}

  /** The sessions still resumable, with when each stops being so (gateway/restart-state.ts). */
  snapshot(): { session: GatewaySession; expiresAt: number }[] {
    const now = this.clock.now();
    return [...this.sessions.values()].filter((entry) => entry.expiresAt >= now);
  }

  restore(entries: readonly { session: GatewaySession; expiresAt: number }[]): void {
    for (const entry of entries) this.sessions.set(entry.session.id, entry);
  }

  /** Drops expired sessions, a few at a time, so the map cannot grow without bound. */
  private sweep(): void {
    const now = this.clock.now();
    let checked = 0;
    for (const [id, entry] of this.sessions) {
      if (entry.expiresAt < now) this.sessions.delete(id);
      if (++checked >= 64) break;
    }
  }
}
