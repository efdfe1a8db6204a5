import { GatewayCloseCode, GatewayOpcode, Limits, type Presence, type Snowflake, routes } from '@parley/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crowdedGuild, makeGuild, type Person } from '../testing/fixtures';
import { type RawFrame, RawGateway } from '../testing/raw-gateway';
import { startTestServer, type TestServer } from '../testing/server';

interface GuildPresences {
  guild_id: Snowflake;
  snapshot: boolean;
  online_count: number;
  presences: Presence[];
}

let server: TestServer;
let owner: Person;
let guildId: Snowflake;
let channelId: Snowflake;
/** 52 members: the owner and 51 guests, more than the default large_threshold (50). */
let guests: { token: string; id: Snowflake }[] = [];

beforeAll(async () => {
  server = await startTestServer();
  const made = await crowdedGuild(server, 51);
  ({ owner, guests } = made);
  guildId = made.guild.id;
  channelId = made.general.id;
});
afterAll(() => server.close());

/** A member's own gateway connection, READY received. */
async function online(token: string, extra: Record<string, unknown> = {}): Promise<RawGateway> {
  const gw = await RawGateway.open(server.url);
  gw.identify(token, extra);
  await gw.dispatch('READY');
  return gw;
}

const isPresences = (f: RawFrame) => f.t === 'GUILD_PRESENCES';
const presencesIn = (gw: RawGateway, from = 0) =>
  gw.frames
    .slice(from)
    .filter(isPresences)
    .map((f) => f.d as GuildPresences);
/** The first GUILD_PRESENCES from `from` on in which `userId` has `status`. */
const statusSeen = (gw: RawGateway, userId: Snowflake, status: Presence['status'], from = 0) =>
  gw.next((f) => isPresences(f) && (f.d as GuildPresences).presences.some((p) => p.user.id === userId && p.status === status), from);

/** Everything published before this returns has reached `gw` (the log is delivered in order). */
async function settled(gw: RawGateway, content: string): Promise<void> {
  await owner.client.request(routes.messages.create, { params: { channel_id: channelId }, body: { content } });
  await gw.next((f) => f.t === 'MESSAGE_CREATE' && (f.d as { content: string }).content === content);
}

describe('presence in a large server', () => {
  it('follows the first online members (the online list), filling places as people come online', async () => {
    const first = await online(guests[6]!.token);
    const watcher = await online(owner.client.token!);
    watcher.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d: { guild_id: guildId, online: 3 } });
    const snapshot = (await watcher.dispatch('GUILD_PRESENCES')).d as GuildPresences;
    // The owner and the first guest are online (this test runs first: nobody else is).
    expect(snapshot.presences.map((p) => p.user.id).sort()).toEqual([owner.userId, guests[6]!.id].sort());
    const count = snapshot.online_count;

    const from = watcher.frames.length;
    const second = await online(guests[7]!.token);
    await statusSeen(watcher, guests[7]!.id, 'online', from);
    expect(presencesIn(watcher, from).at(-1)!.online_count).toBe(count + 1);
    // The list is full (3): a fourth arrival only moves the count.
    const third = await online(guests[8]!.token);
    await watcher.next((f) => isPresences(f) && (f.d as GuildPresences).online_count === count + 2, from);
    await settled(watcher, 'list full');
    expect(presencesIn(watcher, from).flatMap((d) => d.presences.map((p) => p.user.id))).not.toContain(guests[8]!.id);
    // Someone online who leaves the server leaves the online count too.
    await server.client(guests[8]!.token).request(routes.guilds.leave, { params: { guild_id: guildId } });
    await watcher.next((f) => isPresences(f) && (f.d as GuildPresences).online_count === count + 1, from);
    // Nothing followed: no more frames about the server.
    watcher.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d: { guild_id: guildId } });
    const after = watcher.frames.length;
    first.close();
    await settled(watcher, 'unfollowed');
    expect(presencesIn(watcher, after)).toEqual([]);
    for (const gw of [watcher, second, third]) gw.close();
  });

  it('does not send every member’s presence to every member', async () => {
    const watcher = await online(owner.client.token!);
    const arrivals = [await online(guests[0]!.token), await online(guests[1]!.token)];
    await settled(watcher, 'after two arrivals');
    expect(watcher.frames.filter((f) => f.t === 'PRESENCE_UPDATE' || f.t === 'GUILD_PRESENCES')).toEqual([]);
    // With a threshold above the server's size it is small again: every presence, live.
    const smallView = await online(owner.client.token!, { large_threshold: 250 });
    const third = await online(guests[2]!.token);
    await smallView.next((f) => f.t === 'PRESENCE_UPDATE' && (f.d as Presence).user.id === guests[2]!.id);
    for (const gw of [watcher, smallView, third, ...arrivals]) gw.close();
  });

  it('keeps IDENTIFY’s large_threshold across a resume', async () => {
    const first = await RawGateway.open(server.url);
    first.identify(owner.client.token!, { large_threshold: 250 });
    const ready = await first.dispatch('READY');
    const sessionId = (ready.d as { session_id: string }).session_id;
    first.socket.terminate();

    const resumed = await RawGateway.open(server.url);
    resumed.send({ op: GatewayOpcode.RESUME, d: { token: owner.client.token!, session_id: sessionId, seq: ready.s } });
    await resumed.dispatch('RESUMED');
    // 52 members is small under 250: a member coming online is heard without following anyone.
    const arrival = await online(guests[9]!.token);
    await resumed.next((f) => f.t === 'PRESENCE_UPDATE' && (f.d as Presence).user.id === guests[9]!.id);
    for (const gw of [resumed, arrival]) gw.close();
  });

  it('sends the presences a session follows (op 14): a snapshot, then changes live', async () => {
    const watcher = await online(owner.client.token!);
    const early = await online(guests[3]!.token);
    const [followed, other] = [guests[4]!, guests[5]!];
    watcher.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d: { guild_id: guildId, members: [followed.id] } });
    const snapshot = (await watcher.dispatch('GUILD_PRESENCES')).d as GuildPresences;
    expect(snapshot).toMatchObject({ guild_id: guildId, snapshot: true, presences: [expect.objectContaining({ user: { id: followed.id }, status: 'offline' })] });
    expect(snapshot.online_count).toBeGreaterThanOrEqual(2);

    const from = watcher.frames.length;
    const followedLive = await online(followed.token);
    const otherLive = await online(other.token);
    await statusSeen(watcher, followed.id, 'online', from);
    followedLive.send({ op: GatewayOpcode.PRESENCE_UPDATE, d: { status: 'dnd', since: null, activities: [], afk: false } });
    await statusSeen(watcher, followed.id, 'dnd', from);
    followedLive.close();
    await statusSeen(watcher, followed.id, 'offline', from);
    // Only who it follows: not the member who came online beside them.
    await settled(watcher, 'after the followed member left');
    expect(presencesIn(watcher, from).flatMap((d) => d.presences.map((p) => p.user.id))).not.toContain(other.id);
    for (const gw of [watcher, early, otherLive]) gw.close();
  });

  it('coalesces quick changes: one frame per window, the latest state of each member', async () => {
    const watcher = await online(owner.client.token!);
    const member = guests[9]!;
    const live = await online(member.token);
    watcher.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d: { guild_id: guildId, members: [member.id] } });
    await watcher.dispatch('GUILD_PRESENCES');
    const from = watcher.frames.length;
    for (const status of ['idle', 'dnd', 'online', 'idle'] as const) live.send({ op: GatewayOpcode.PRESENCE_UPDATE, d: { status, since: null, activities: [], afk: false } });
    await statusSeen(watcher, member.id, 'idle', from);
    await settled(watcher, 'after four changes');
    const frames = presencesIn(watcher, from);
    // Four changes sent at once: fewer frames than changes, each naming the member once, the last saying idle.
    expect(frames.length).toBeLessThan(4);
    for (const frame of frames) expect(frame.presences.filter((p) => p.user.id === member.id)).toHaveLength(1);
    expect(frames.at(-1)!.presences.find((p) => p.user.id === member.id)?.status).toBe('idle');
    watcher.close();
    live.close();
  });

  it('refuses malformed or oversized subscriptions with 4002, and ignores servers one is not in', async () => {
    const tooMany = await online(owner.client.token!);
    tooMany.send({
      op: GatewayOpcode.GUILD_SUBSCRIBE,
      d: {
        guild_id: guildId,
        members: guests
          .slice(0, 51)
          .map((g) => g.id)
          .concat(Array.from({ length: Limits.presenceMembersMax }, () => guests[0]!.id)),
      },
    });
    expect(await tooMany.closeCode()).toBe(GatewayCloseCode.DECODE_ERROR);
    const tooLong = await online(owner.client.token!);
    tooLong.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d: { guild_id: guildId, online: Limits.presenceOnlineMax + 1 } });
    expect(await tooLong.closeCode()).toBe(GatewayCloseCode.DECODE_ERROR);
    const notAnId = await online(owner.client.token!);
    notAnId.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d: { guild_id: 'everything', online: 10 } });
    expect(await notAnId.closeCode()).toBe(GatewayCloseCode.DECODE_ERROR);
    const anonymous = await RawGateway.open(server.url);
    anonymous.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d: { guild_id: guildId, online: 10 } });
    expect(await anonymous.closeCode()).toBe(GatewayCloseCode.NOT_AUTHENTICATED);

    const outsider = await makeGuild(server, { name: 'Elsewhere' });
    const stranger = await online(outsider.owner.client.token!);
    stranger.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d: { guild_id: guildId, online: 10 } });
    stranger.send({ op: GatewayOpcode.GUILD_SUBSCRIBE, d: { guild_id: outsider.guild.id, online: 10 } });
    const answer = (await stranger.dispatch('GUILD_PRESENCES')).d as GuildPresences;
    expect(answer.guild_id).toBe(outsider.guild.id);
    expect(presencesIn(stranger)).toHaveLength(1);
    stranger.close();
  });
});
