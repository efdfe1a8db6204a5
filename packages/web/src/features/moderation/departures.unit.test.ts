import type { Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { DepartureTracker, departureText } from './departures';

const G = '100' as Snowflake;
const ME = '1' as Snowflake;

describe('departures', () => {
  it('reads its own member removal then GUILD_DELETE as being removed', () => {
    const tracker = new DepartureTracker();
    tracker.memberRemoved(G, '2' as Snowflake, ME);
    tracker.memberRemoved(G, ME, ME);
    const departure = tracker.guildDeleted({ id: G }, 'Lobby');
    expect(departure).toEqual({ guildId: G, name: 'Lobby', reason: 'removed' });
    expect(departureText(departure!)).toBe('You were removed from Lobby.');
  });

  it('reads GUILD_DELETE alone as the server deleted, and says nothing for an outage or leaving on purpose', () => {
    const tracker = new DepartureTracker();
    expect(tracker.guildDeleted({ id: G }, 'Lobby')?.reason).toBe('deleted');
    expect(departureText({ name: 'Lobby', reason: 'deleted' })).toBe('Lobby was deleted.');
    expect(tracker.guildDeleted({ id: G, unavailable: true }, 'Lobby')).toBeNull();
    tracker.expectLeave(G);
    tracker.memberRemoved(G, ME, ME);
    expect(tracker.guildDeleted({ id: G }, 'Lobby')).toBeNull();
    // Leaving is forgotten once done: a later kick after rejoining is reported.
    tracker.rejoined(G);
    tracker.memberRemoved(G, ME, ME);
    expect(tracker.guildDeleted({ id: G }, 'Lobby')?.reason).toBe('removed');
  });
});
