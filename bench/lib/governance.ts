import { ChannelType, OverwriteType, Permissions, type Snowflake, routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import WebSocket from 'ws';
import { type BenchGuild, mapConcurrent } from './setup';

/** What a governed guild was given: its roles and its channels' overwrites. */
export interface Governance {
  roleIds: Snowflake[];
  /** Roles held per member: 1 to 3 each. */
  memberRoles: number;
  /** Extra text channels (with overwrites in a governed guild), besides the talk channel. */
  channelIds: Snowflake[];
  overwrites: number;
  /** Extra channels @everyone cannot view (some roles or a member can). */
  hiddenChannels: number;
  /** Overwrites on the channel the members talk in (one hides it from a role nobody holds). */
  talkChannelOverwrites: number;
}

const bits = (...values: bigint[]) => values.reduce((a, b) => a | b, 0n).toString();

/** `count` more text channels in the guild, created by its owner. */
export async function addChannels(baseUrl: string, guild: BenchGuild, count: number): Promise<Snowflake[]> {
  const rest = new RestClient({ baseUrl, token: guild.members[0]!.token });
  return mapConcurrent(Array.from({ length: count }), 8, async (_, i) => {
    const channel = await rest.request(routes.channels.create, { params: { guild_id: guild.guildId }, body: { name: `channel-${i}`, type: ChannelType.GUILD_TEXT } });
    return channel.id;
  });
}

/**
 * Gives a guild Discord-style governance through the API, as its owner: `roles` roles (each member
 * but the owner holds 1–3 of them), overwrites on every channel in `channelIds` (@everyone may not
 * react; one role may send and react, another may not send; every third channel is hidden from
 * @everyone and shown to two roles; every fifth also to one member) and on the talk channel
 * overwrites that change small things for some (@everyone may not react, a role may not attach
 * files, a role may embed links, one member may react) and one that hides it from the holders
 * of a role nobody holds: the server cannot tell it hides it from nobody without looking at
 * every member, so its messages go to a list of users (all the members), decided per event.
 */
export async function governGuild(baseUrl: string, guild: BenchGuild, channelIds: readonly Snowflake[], roles: number): Promise<Governance> {
  const owner = new RestClient({ baseUrl, token: guild.members[0]!.token });
  const guildId = guild.guildId;
  const roleIds: Snowflake[] = [];
  // One at a time: each new role goes just above @everyone, so positions are decided in order.
  for (let r = 0; r < roles; r++) {
    const base = bits(Permissions.VIEW_CHANNEL, Permissions.SEND_MESSAGES, Permissions.READ_MESSAGE_HISTORY, r % 2 ? Permissions.EMBED_LINKS : Permissions.ATTACH_FILES);
    const role = await owner.request(routes.roles.create, { params: { guild_id: guildId }, body: { name: `role-${r}`, permissions: base } });
    roleIds.push(role.id);
  }
  const others = guild.members.slice(1);
  const holdings = others.map((_, i) => {
    const held = new Set<number>();
    const want = 1 + (i % 3);
    for (let k = 0; held.size < want && k < 10; k++) held.add((i * 7 + k * 13 + 3) % roles);
    return [...held];
  });
  const grants = others.flatMap((m, i) => holdings[i]!.map((r) => ({ userId: m.id, roleId: roleIds[r]! })));
  await mapConcurrent(grants, 16, (g) => owner.request(routes.roles.addToMember, { params: { guild_id: guildId, user_id: g.userId, role_id: g.roleId } }));

  const put = (channelId: Snowflake, id: Snowflake, type: OverwriteType, allow: string, deny: string) =>
    owner.request(routes.moderation.editOverwrite, { params: { channel_id: channelId, overwrite_id: id }, body: { type, allow, deny } });
  const role = (i: number) => roleIds[i % roles]!;
  const plans = channelIds.map((channelId, c) => {
    const hidden = c % 3 === 0;
    const list: [Snowflake, OverwriteType, string, string][] = [
      [guildId, OverwriteType.ROLE, '0', hidden ? bits(Permissions.ADD_REACTIONS, Permissions.VIEW_CHANNEL) : bits(Permissions.ADD_REACTIONS)],
      [role(c), OverwriteType.ROLE, bits(Permissions.ADD_REACTIONS, Permissions.SEND_MESSAGES), '0'],
      [role(c + 7), OverwriteType.ROLE, '0', bits(Permissions.SEND_MESSAGES)],
    ];
    if (hidden) list.push([role(c + 1), OverwriteType.ROLE, bits(Permissions.VIEW_CHANNEL), '0'], [role(c + 11), OverwriteType.ROLE, bits(Permissions.VIEW_CHANNEL), '0']);
    if (c % 5 === 0) list.push([others[(c * 17) % others.length]!.id, OverwriteType.MEMBER, bits(Permissions.VIEW_CHANNEL), '0']);
    return { channelId, list, hidden };
  });
  const unheld = await owner.request(routes.roles.create, { params: { guild_id: guildId }, body: { name: 'unheld' } });
  const talk: [Snowflake, OverwriteType, string, string][] = [
    [guildId, OverwriteType.ROLE, '0', bits(Permissions.ADD_REACTIONS)],
    [unheld.id, OverwriteType.ROLE, '0', bits(Permissions.VIEW_CHANNEL)],
    [role(3), OverwriteType.ROLE, '0', bits(Permissions.ATTACH_FILES)],
    [role(5), OverwriteType.ROLE, bits(Permissions.EMBED_LINKS), '0'],
    [others[others.length - 1]!.id, OverwriteType.MEMBER, bits(Permissions.ADD_REACTIONS), '0'],
  ];
  const all = [...plans.flatMap((p) => p.list.map((o) => ({ channelId: p.channelId, o }))), ...talk.map((o) => ({ channelId: guild.channelId, o }))];
  await mapConcurrent(all, 8, ({ channelId, o }) => put(channelId, ...o));
  return {
    roleIds,
    memberRoles: grants.length,
    channelIds: [...channelIds],
    overwrites: all.length - talk.length,
    hiddenChannels: plans.filter((p) => p.hidden).length,
    talkChannelOverwrites: talk.length,
  };
}

const READY = Buffer.from('{"op":0,"t":"READY"');

/** One IDENTIFY → READY, timed: a fresh connection, IDENTIFY sent on HELLO, clock stopped when READY's frame is read. */
export function timeReady(url: string, token: string, timeoutMs = 30_000): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let sentAt = 0;
    let result: { ms: number; bytes: number } | null = null;
    const timer = setTimeout(() => finish(new Error(`no READY within ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | null) => {
      clearTimeout(timer);
      if (error) {
        ws.terminate();
        reject(error);
        return;
      }
      // Closed cleanly (1000 ends the session) before the next one opens.
      const killer = setTimeout(() => ws.terminate(), 5_000);
      ws.once('close', () => {
        clearTimeout(killer);
        resolve(result!);
      });
      ws.close(1000);
    };
    ws.on('error', (error) => finish(error));
    ws.on('message', (data: Buffer) => {
      if (result) return;
      if (sentAt === 0 && data.includes('"op":10')) {
        sentAt = performance.now();
        ws.send(JSON.stringify({ op: 2, d: { token, properties: { os: 'linux', browser: 'parley-bench', device: 'parley-bench' } } }));
      } else if (data.length >= READY.length && data.compare(READY, 0, READY.length, 0, READY.length) === 0) {
        result = { ms: performance.now() - sentAt, bytes: data.length };
        finish(null);
      }
    });
  });
}
