import type { PresenceStatus, Snowflake, VisibleStatus } from '@parley/protocol';

/** How a change moved a user's visible status (equal when nobody else needs telling). */
export interface StatusChange {
  before: VisibleStatus;
  after: VisibleStatus;
}

/**
 * Who is online, across every node: each connected session registers here, and a user is
 * offline once their last session is gone. A user's chosen status (online, idle, dnd,
 * invisible) is shared by their sessions; "invisible" looks offline to everyone else.
 */
export interface PresenceStore {
  /**
   * A session connected. `status` is what it asked for, used when it is the user's only
   * session; otherwise it joins the status the user already chose on their other devices.
   */
  connect(userId: Snowflake, sessionId: string, status: PresenceStatus): Promise<StatusChange>;
  /** A session set a new status for the user. */
  setStatus(userId: Snowflake, status: PresenceStatus): Promise<StatusChange>;
  /** A session went away. */
  disconnect(userId: Snowflake, sessionId: string): Promise<StatusChange>;
  /** Visible statuses of the given users; users not in the map are offline. */
  visible(userIds: readonly Snowflake[]): Promise<Map<Snowflake, VisibleStatus>>;
  /** The user's own chosen status (what their other devices should show), or null when offline. */
  chosen(userId: Snowflake): Promise<PresenceStatus | null>;
  /**
   * Calls the handler for changes the store makes on its own rather than in answer to a call
   * (the sessions of a node that died swept away, or this node's sessions restored after it was
   * presumed dead). Whoever publishes presence must tell the user's guilds about them.
   */
  onBackgroundChange(handler: (userId: Snowflake, change: StatusChange) => void): void;
  close(): Promise<void>;
}

export function visibleStatus(status: PresenceStatus | null): VisibleStatus {
  return status === null || status === 'invisible' ? 'offline' : status;
}
