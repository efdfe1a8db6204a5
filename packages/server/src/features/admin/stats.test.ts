import { ChannelType, type Snowflake, routes } from '@parley/protocol';
import { adminRoutes } from '@parley/protocol/admin';
import { sessionOf } from '@parley/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAdmin } from '../../testing/admin';
import { collect } from '../../testing/collector';
import { makeGuild, signUp } from '../../testing/fixtures';
import { startTestServer, type TestServer } from '../../testing/server';

/*
 * The statistics page's numbers match what happened: a fresh instance on a clock the test moves,
 * people signing up and in, messages over several days, a call of a known length, reports and
 * classifier flags, uploads, connected clients.
 */

const DAY = 86_400_000;
const start = Date.UTC(2026, 10, 20, 12);
let now = start - 3 * DAY;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ clock: { now: () => now }, env: { CALL_RECONNECT_GRACE_SECONDS: '600' } });
});
afterAll(() => server.close());

describe('instance statistics', () => {
  it('count users, activity, messages per day, calls and minutes, storage, connections, reports and flags', async () => {
    // Three days ago (the clock only moves forward: IDs carry the time): the admin, the guild, two
    // messages, then nothing from the guild's owner since.
    now = start - 3 * DAY;
    const admin = await makeAdmin(server);
    const { owner, general, members, guild } = await makeGuild(server, { members: 1 });
    for (const content of ['one', 'two']) await owner.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content } });
    const voice = await owner.client.request(routes.channels.create, { params: { guild_id: guild.id }, body: { name: 'Lounge', type: ChannelType.GUILD_VOICE } });
    now = start - DAY;
    const idle = await signUp(server);
    now = start;
    const member = members[0]!;
    // A few milliseconds apart, as real messages are: each must count in today's bar (a fractional
    // day per message once grouped them one by one, and only one was counted).
    for (const content of ['a', 'b', 'c']) {
      now += 7;
      await member.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content } });
    }
    await server.client().request(routes.auth.guest);
    await admin.client.request(adminRoutes.updateUser, { params: { user_id: idle.userId }, body: { minor: true } });
    await admin.client.request(adminRoutes.updateUser, { params: { user_id: idle.userId }, body: { disabled: true } });
    await member.client.request(routes.messages.create, { params: { channel_id: general.id }, body: { content: 'with a file' }, files: [new File(['12345678'], 'notes.txt', { type: 'text/plain' })] });

    // A call: the member joins a voice channel, stays 3 minutes, and leaves.
    const live = await server.connect(member.client.token!);
    const states = collect(live.gateway, 'VOICE_STATE_UPDATE');
    live.gateway.updateVoiceState({ guild_id: guild.id, channel_id: voice.id, self_mute: false, self_deaf: false });
    await states.until('joined', (s) => s.some((v) => v.user_id === member.userId && v.channel_id === voice.id));
    const during = await admin.client.request(adminRoutes.stats);
    expect(during.calls.live).toBe(1);
    now += 3 * 60_000;
    live.gateway.updateVoiceState({ guild_id: null, channel_id: null, self_mute: false, self_deaf: false });
    await states.until('left', (s) => s.some((v) => v.user_id === member.userId && v.channel_id === null));

    // Two reports from people today, one classifier flag yesterday.
    const db = server.db.database.db;
    const report = (id: string, reporter: Snowflake | null, at: number) =>
      db
        .insertInto('reports')
        .values({
          id: id as Snowflake,
          reporter_id: reporter,
          category: 'harassment',
          user_id: owner.userId as Snowflake,
          message_id: null,
          channel_id: null,
          guild_id: null,
          note: null,
          content: null,
          scores: null,
          resolved_by: null,
          resolution: null,
          resolution_reason: null,
          resolved_at: null,
          created_at: at,
        })
        .execute();
    await report('9100000000000001', member.userId as Snowflake, now);
    await report('9100000000000002', admin.id, now);
    await report('9100000000000003', null, now - DAY);

    const stats = await admin.client.request(adminRoutes.stats);
    // People with a login: the admin, the owner, the member, the idle one (disabled, minor); one guest.
    // Today: the admin and the member; this week also the owner (3 days ago) and the idle one (yesterday).
    expect(stats.users).toEqual({ total: 4, guests: 1, disabled: 1, minors: 1, active_today: 2, active_week: 4 });
    expect(stats.messages_per_day).toHaveLength(30);
    expect(stats.messages_per_day.at(-1)).toEqual({ day: '2026-11-20', count: 4 });
    expect(stats.messages_per_day.at(-4)).toEqual({ day: '2026-11-17', count: 2 });
    expect(stats.messages_per_day.reduce((sum, d) => sum + d.count, 0)).toBe(6);
    expect(stats.calls.live).toBe(0);
    expect(stats.calls.per_day.at(-1)).toEqual({ day: '2026-11-20', count: 1 });
    expect(stats.calls.minutes_per_day.at(-1)).toEqual({ day: '2026-11-20', count: 3 });
    expect(stats.calls.total_minutes).toBe(3);
    expect(stats.storage.attachments_bytes).toBe(8);
    expect(stats.storage.data_dir_bytes).toBeGreaterThanOrEqual(8);
    expect(stats.reports_per_day.at(-1)!.count).toBe(2);
    expect(stats.flags_per_day.at(-2)).toEqual({ day: '2026-11-19', count: 1 });
    expect(stats.open_reports).toBe(3);
    // This node, with the one gateway connection still open.
    expect(stats.nodes).toEqual([expect.objectContaining({ current: true, connections: 1 })]);
    expect(stats.generated_at).toBe(new Date(now).toISOString());

    // Signing in counts as activity too.
    await owner.client.request(routes.auth.login, { body: { login: owner.username, password: owner.password } }).then(sessionOf);
    expect((await admin.client.request(adminRoutes.stats)).users.active_today).toBe(3);
  });
});
