import type { Channel, Member, Snowflake, User } from '@parley/protocol';
import { displayNameOf, fold } from '@parley/sdk';

/** What the cache knows that says whom you know. */
export interface KnownSources {
  user: { id: Snowflake } | null;
  channels: Map<Snowflake, Channel>;
  members: Map<Snowflake, Map<Snowflake, Member>>;
}

/** A person one may add to a group DM, with the name they are shown under. */
export interface Candidate {
  user: User;
  name: string;
}

/**
 * The people you know, as Discord offers friends for a group DM (Parley has no friends list):
 * whoever you share a DM or a server with, yourself and bots aside, each once, by name.
 */
export function knownPeople(cache: KnownSources): Candidate[] {
  const people = new Map<Snowflake, User>();
  for (const channel of cache.channels.values()) for (const user of channel.recipients ?? []) people.set(user.id, user);
  for (const members of cache.members.values()) for (const member of members.values()) people.set(member.user.id, member.user);
  if (cache.user) people.delete(cache.user.id);
  return [...people.values()]
    .filter((user) => !user.bot)
    .map((user) => ({ user, name: displayNameOf({ members: new Map() }, user) }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.user.id.localeCompare(b.user.id));
}

/** Whether a person goes by a name containing what was typed (case and accents aside). */
export function matchesQuery(candidate: Candidate, query: string): boolean {
  const q = fold(query.trim());
  return !q || [candidate.name, candidate.user.username].some((name) => fold(name).includes(q));
}
