import type { PresenceStatus, Snowflake, VisibleStatus } from '@parley/protocol';
import { type PresenceStore, type StatusChange, visibleStatus } from './presence-store';

/** Presence for a single node, in memory. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly users = new Map<Snowflake, { status: PresenceStatus; sessions: Set<string> }>();

  async connect(userId: Snowflake, sessionId: string, status: PresenceStatus): Promise<StatusChange> {
    const before = this.visibleOf(userId);
    const entry = this.users.get(userId) ?? { status, sessions: new Set<string>() };
    entry.sessions.add(sessionId);
    this.users.set(userId, entry);
    return { before, after: this.visibleOf(userId) };
  }

  async setStatus(userId: Snowflake, status: PresenceStatus): Promise<StatusChange> {
    const before = this.visibleOf(userId);
    const entry = this.users.get(userId);
    if (entry) entry.status = status;
    return { before, after: this.visibleOf(userId) };
  }

  async disconnect(userId: Snowflake, sessionId: string): Promise<StatusChange> {
    const before = this.visibleOf(userId);
    const entry = this.users.get(userId);
    entry?.sessions.delete(sessionId);
    if (entry && entry.sessions.size === 0) this.users.delete(userId);
    return { before, after: this.visibleOf(userId) };
  }

  async visible(userIds: readonly Snowflake[]): Promise<Map<Snowflake, VisibleStatus>> {
    const result = new Map<Snowflake, VisibleStatus>();
    for (const id of userIds) {
      const status = this.visibleOf(id);
      if (status !== 'offline') result.set(id, status);
    }
    return result;
  }

  async chosen(userId: Snowflake): Promise<PresenceStatus | null> {
    return this.users.get(userId)?.status ?? null;
  }

  /** Never called: on a single node, presence lives and dies with the process that holds the sessions. */
  onBackgroundChange(): void {}

  async close(): Promise<void> {}

  private visibleOf(userId: Snowflake): VisibleStatus {
    return visibleStatus(this.users.get(userId)?.status ?? null);
  }
}
