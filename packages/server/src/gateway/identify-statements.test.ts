import { ChannelType, GatewayOpcode, type Ready, routes, type Snowflake } from '@parley/protocol';
import { emojiRoutes } from '@parley/protocol/emojis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DB } from '../testing/databases';
import { crowdedGuild, makeImage, type Person } from '../testing/fixtures';
import { RawGateway } from '../testing/raw-gateway';
import { recordStatements } from '../testing/statements';
import { startTestServer, type TestServer } from '../testing/server';

let server: TestServer;
let owner: Person;
let guildId: Snowflake;
/** 55 guests in one server with the owner: larger than the default large_threshold (50). */
let guests: { token: string; id: Snowflake }[] = [];
beforeAll(async () => {
  server = await startTestServer();
  const made = await crowdedGuild(server, 55);
  ({ owner, guests } = made);
  guildId = made.guild.id;
});
afterAll(() => server.close());

async function identify(token: string): Promise<{ gw: RawGateway; ready: Ready }> {
  const gw = await RawGateway.open(server.url);
  gw.identify(token);
  const ready = (await gw.dispatch('READY')).d as Ready;
  return { gw, ready };
}

/** The statements run while `work` runs (nothing else runs in this file meanwhile). */
async function statementsOf(work: () => Promise<void>): Promise<string[]> {
  const log = recordStatements();
  try {
    await work();
  } finally {
    log.stop();
  }
  return log.statements;
}

/**
 * Issue 17's join storm: on PostgreSQL each statement is a round trip and a wake-up of its
 * backend. One identify into a large server reads the session, the user's memberships, DMs,
 * blocks and notification settings, and each guild's channels with the user's state in them (the
 * guild row, emoji and voice states are cached per node); SQLite adds `PRAGMA data_version`.
 */
const PER_IDENTIFY = { postgres: 6, sqlite: 7 };

describe('SQL statements per identify', () => {
  it(`stays within ${PER_IDENTIFY[TEST_DB]} on ${TEST_DB} for one identify into a large server`, async () => {
    // The first identifies fill this node's caches (kept open: a close has statements of its own).
    const warm = await Promise.all(guests.slice(0, 3).map((g) => identify(g.token)));
    let opened: RawGateway | undefined;
    const statements = await statementsOf(async () => {
      const { gw, ready } = await identify(guests[10]!.token);
      opened = gw;
      expect(ready.guilds).toHaveLength(1);
    });
    for (const { gw } of [...warm, { gw: opened! }]) gw.close();
    expect(statements.length, statements.join('\n')).toBeLessThanOrEqual(PER_IDENTIFY[TEST_DB]);
  });

  it('shares them between identifies under way at once, each READY still its own', async () => {
    const crowd = guests.slice(20, 50);
    // Each has something of their own: a DM with the owner, a block, a muted server.
    await Promise.all(
      crowd.map(async (g, i) => {
        const client = server.client(g.token);
        await client.request(routes.channels.openDm, { body: { recipient_id: owner.userId } });
        await client.request(routes.relationships.block, { params: { user_id: guests[i]!.id }, body: { type: 2 } });
        if (i % 2 === 0) await client.request(routes.notifications.updateGuildSettings, { params: { guild_id: guildId }, body: { muted: true } });
      }),
    );
    const one = await identify(crowd[0]!.token);
    one.gw.close();
    const alone = await statementsOf(async () => (await identify(crowd[1]!.token)).gw.close());
    const opened: RawGateway[] = [];
    const readies: Ready[] = [];
    // Connected first, then all identifying in one burst, as after a restart.
    opened.push(...(await Promise.all(crowd.map(() => RawGateway.open(server.url)))));
    const together = await statementsOf(async () => {
      opened.forEach((gw, i) => gw.identify(crowd[i]!.token));
      for (const frame of await Promise.all(opened.map((gw) => gw.dispatch('READY')))) readies.push(frame.d as Ready);
    });
    for (const gw of opened) gw.close();
    // On PostgreSQL at most a quarter as many as one by one (SQLite's reads are in-process calls that
    // end before the next identify is read: nothing to share, nothing to save).
    if (TEST_DB === 'postgres') expect(together.length).toBeLessThanOrEqual((crowd.length * alone.length) / 4);
    crowd.forEach((g, i) => {
      const ready = readies[i]!;
      expect(ready.user.id).toBe(g.id);
      expect(ready.private_channels.map((c) => c.recipients?.map((r) => r.id))).toEqual([[owner.userId]]);
      expect(ready.blocked_user_ids).toEqual([guests[i]!.id]);
      expect(ready.user_guild_settings?.entries.map((e) => e.muted)).toEqual(i % 2 === 0 ? [true] : []);
      const guild = ready.guilds[0] as Extract<Ready['guilds'][number], { members: unknown }>;
      expect(guild.members.map((m) => m.user.id)).toEqual([g.id]);
    });
  });

  it('answers from what changed just before: the server, its emoji, who is in voice', async () => {
    const viewer = guests[5]!;
    (await identify(viewer.token)).gw.close();
    await owner.client.request(routes.guilds.update, { params: { guild_id: guildId }, body: { name: 'Crowd, renamed' } });
    const image = `data:image/png;base64,${(await makeImage('png')).toString('base64')}`;
    const emoji = await owner.client.request(emojiRoutes.create, { params: { guild_id: guildId }, body: { name: 'fresh', image } });
    const voice = await owner.client.request(routes.channels.create, { params: { guild_id: guildId }, body: { name: 'Lounge', type: ChannelType.GUILD_VOICE } });
    const speaker = await identify(guests[6]!.token);
    speaker.gw.send({ op: GatewayOpcode.VOICE_STATE_UPDATE, d: { guild_id: guildId, channel_id: voice.id, self_mute: false, self_deaf: false } });
    await speaker.gw.dispatch('VOICE_STATE_UPDATE');

    const { gw, ready } = await identify(viewer.token);
    gw.close();
    speaker.gw.close();
    const guild = ready.guilds[0] as Extract<Ready['guilds'][number], { members: unknown }>;
    expect(guild.name).toBe('Crowd, renamed');
    expect(guild.emojis.map((e) => e.id)).toContain(emoji.id);
    expect(guild.voice_states.map((v) => [v.user_id, v.channel_id])).toEqual([[guests[6]!.id, voice.id]]);
  });
});
