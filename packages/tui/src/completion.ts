import type { Snowflake } from '@parley/protocol';
import { sanitize } from './sanitize';
import { type ParleyCache, applyCompletion, findTrigger, fold, mentionableChannels, mentionablePeople, rankCandidates } from '@parley/sdk';

/** What Tab offers after `@` (people, by the SDK's ranking) or `#` (the server's text channels). */
function completionsFor(cache: ParleyCache, channelId: Snowflake, draft: string): { start: number; end: number; insertions: string[] } | null {
  const trigger = findTrigger(draft, draft.length);
  const channel = cache.channels.get(channelId);
  if (!trigger || !channel) return null;
  let insertions: string[] = [];
  if (trigger.kind === '@') {
    const people = mentionablePeople(cache, channel).map((u) => ({
      id: u.id,
      username: u.username,
      name: (channel.guild_id && cache.membersOf(channel.guild_id).get(u.id)?.nick) || u.global_name || u.username,
    }));
    insertions = rankCandidates(people, trigger.query).map((p) => `@${p.username}`);
  } else if (trigger.kind === '#' && channel.guild_id) {
    const query = fold(trigger.query);
    insertions = mentionableChannels(cache, channel.guild_id)
      .map((c) => c.name ?? '')
      .filter((name) => fold(name).startsWith(query))
      .sort()
      .map((name) => `#${name}`);
  }
  // Names are other people's text too.
  return insertions.length ? { start: trigger.start, end: trigger.end, insertions: insertions.map(sanitize) } : null;
}

/**
 * Tab completion in the composer: the first pick replaces what follows `@` or `#`; Tab again
 * (before anything else is typed) puts the next pick in its place, round the list.
 */
export class Completer {
  private cycle: { channelId: Snowflake; base: string; start: number; end: number; insertions: string[]; index: number; shown: string } | null = null;

  /** The draft after Tab, and every pick (to show), or null when nothing completes here. */
  tab(cache: ParleyCache, channelId: Snowflake, draft: string): { draft: string; picks: string[] } | null {
    if (this.cycle && this.cycle.shown === draft && this.cycle.channelId === channelId) {
      this.cycle.index = (this.cycle.index + 1) % this.cycle.insertions.length;
    } else {
      const found = completionsFor(cache, channelId, draft);
      this.cycle = found && { channelId, base: draft, ...found, index: 0, shown: '' };
    }
    if (!this.cycle) return null;
    const { base, start, end, insertions, index } = this.cycle;
    this.cycle.shown = applyCompletion(base, { start, end }, insertions[index]!).text;
    return { draft: this.cycle.shown, picks: insertions };
  }
}
