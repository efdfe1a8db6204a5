import { ChannelType, type Snowflake, isGuildVoiceChannel } from '@parley/protocol';
import type { ParleyCache } from '@parley/sdk';
import { isStage, stageLayout } from '@parley/sdk/stage';
import { sanitize } from './sanitize';

/**
 * One row of the side list: a server's heading, a channel / DM one can open, or a line about a
 * call (a voice or stage channel and who is in it: shown, not opened, as calls are the web's).
 */
export type Entry = { kind: 'heading'; label: string } | { kind: 'channel'; id: Snowflake; label: string; guildId: Snowflake | null } | { kind: 'call'; label: string };

/** Said after an end-to-end encrypted conversation's name, in the side list and the title. */
const ENCRYPTED = ' (encrypted)';

/** Servers with their text channels, then DMs; names sanitized (they are other people's text too). */
export function sidebarEntries(cache: ParleyCache): Entry[] {
  const entries: Entry[] = [];
  for (const guild of cache.guilds.values()) {
    entries.push({ kind: 'heading', label: sanitize(guild.name) });
    for (const channel of cache.channelsOf(guild.id)) {
      if (channel.type === ChannelType.GUILD_TEXT) entries.push({ kind: 'channel', id: channel.id, label: `#${sanitize(channel.name ?? '')}${channel.e2ee ? ENCRYPTED : ''}`, guildId: guild.id });
      else if (isGuildVoiceChannel(channel.type)) entries.push(...callEntries(cache, guild.id, channel));
    }
  }
  const dms = [...cache.channels.values()].filter((c) => c.type === ChannelType.DM || c.type === ChannelType.GROUP_DM);
  if (dms.length > 0) entries.push({ kind: 'heading', label: 'Direct messages' });
  for (const dm of dms) {
    const names = (dm.recipients ?? []).map((u) => sanitize(u.global_name ?? u.username));
    const online = (dm.recipients ?? []).some((u) => cache.presences.has(u.id));
    entries.push({ kind: 'channel', id: dm.id, label: `${online ? '●' : '○'} ${dm.name ? sanitize(dm.name) : names.join(', ')}${dm.e2ee ? ENCRYPTED : ''}`, guildId: null });
  }
  return entries;
}

/**
 * A stage, or a voice channel with a call going on, and below it who is in the call; on a stage,
 * speakers are marked and a raised hand says so (the SDK's stageLayout: speakers first, then
 * hands, longest waiting first). An empty voice channel takes no room.
 */
export function callEntries(cache: Pick<ParleyCache, 'voiceStatesIn' | 'members'>, guildId: Snowflake, channel: { id: Snowflake; name: string | null; type: number }): Entry[] {
  const stage = isStage(channel);
  const states = cache.voiceStatesIn(channel.id);
  if (!stage && states.length === 0) return [];
  const { speakers, audience } = stageLayout(states);
  const nameOf = (userId: Snowflake) => {
    const user = cache.members.get(guildId)?.get(userId)?.user;
    return user ? sanitize(cache.members.get(guildId)?.get(userId)?.nick ?? user.global_name ?? user.username) : 'Someone';
  };
  const rows: Entry[] = [{ kind: 'call', label: `${stage ? '~' : '='} ${sanitize(channel.name ?? '')}${stage ? ' (stage)' : ' (voice)'}` }];
  for (const state of stage ? [...speakers, ...audience] : states) {
    const marks = stage ? [...(state.suppress ? [] : ['speaker']), ...(state.request_to_speak_timestamp ? ['hand raised'] : [])] : [];
    rows.push({ kind: 'call', label: `  ${nameOf(state.user_id)}${marks.length ? ` (${marks.join(', ')})` : ''}` });
  }
  return rows;
}
