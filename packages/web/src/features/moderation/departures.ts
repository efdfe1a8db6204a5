import type { Snowflake } from '@parley/protocol';

/** A server the signed-in user is no longer in, without having left it themselves. */
export interface Departure {
  guildId: Snowflake;
  name: string;
  /** Removed (kicked or banned): their own GUILD_MEMBER_REMOVE came first. Otherwise the server was deleted. */
  reason: 'removed' | 'deleted';
}

/**
 * Tells a kick or ban from a deleted server and from leaving on purpose, from the gateway's
 * order: a removed member is sent their own GUILD_MEMBER_REMOVE, then GUILD_DELETE; a deleted
 * server sends GUILD_DELETE alone; leaving or deleting it yourself is announced beforehand
 * (`expectLeave`). An unavailable server (an outage) is no departure.
 */
export class DepartureTracker {
  private readonly removed = new Set<Snowflake>();
  private readonly leaving = new Set<Snowflake>();

  expectLeave(guildId: Snowflake): void {
    this.leaving.add(guildId);
  }

  memberRemoved(guildId: Snowflake, userId: Snowflake, me: Snowflake | undefined): void {
    if (userId === me) this.removed.add(guildId);
  }

  guildDeleted(event: { id: Snowflake; unavailable?: boolean }, name: string): Departure | null {
    if (event.unavailable) return null;
    const removed = this.removed.delete(event.id);
    if (this.leaving.delete(event.id)) return null;
    return { guildId: event.id, name, reason: removed ? 'removed' : 'deleted' };
  }

  /** Back in (rejoined with an invite), or a leave that failed: a later GUILD_DELETE is judged afresh. */
  rejoined(guildId: Snowflake): void {
    this.removed.delete(guildId);
    this.leaving.delete(guildId);
  }
}

/** What the notice says. */
export function departureText(departure: Pick<Departure, 'name' | 'reason'>): string {
  return departure.reason === 'removed' ? `You were removed from ${departure.name}.` : `${departure.name} was deleted.`;
}
