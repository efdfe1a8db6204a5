import { randomBytes, randomInt } from 'node:crypto';
import { GatewayCloseCode, GatewayOpcode, Intents, Limits, type Message, routes } from '@parley/protocol';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendThroughDrops } from '../testing/drops';
import { joinGuild, makeGuild, signUp } from '../testing/fixtures';
import { RawGateway } from '../testing/raw-gateway';
import { startTestServer, type TestServer } from '../testing/server';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { MESSAGE_RATE_LIMIT: '10000/1' } });
});
afterAll(() => server.close());

const send = (who: { client: { request: Function } }, channelId: string, content: string) =>
  (who.client.request as (...args: unknown[]) => Promise<Message>)(routes.messages.create, { params: { channel_id: channelId }, body: { content } });

describe('handshake', () => {
  it('says HELLO, acknowledges heartbeats, and answers IDENTIFY with READY', async () => {
    const { owner, guild } = await makeGuild(server);
    const gw = await RawGateway.open(server.url);
    const hello = await gw.next((f) => f.op === GatewayOpcode.HELLO);
    expect(hello.d).toEqual({ heartbeat_interval: 41_250 });
    gw.send({ op: GatewayOpcode.HEARTBEAT, d: null });
    await gw.next((f) => f.op === GatewayOpcode.HEARTBEAT_ACK);
    gw.identify(owner.client.token!);
    const ready = await gw.dispatch('READY');
    expect(ready.s).toEqual(expect.any(Number));
    expect(ready.d).toMatchObject({
      v: 10,
      user: { id: owner.userId },
      session_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      resume_gateway_url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/gateway$/),
      guilds: [expect.objectContaining({ id: guild.id, name: 'Test Server', unavailable: false })],
      private_channels: [],
    });
    gw.close();
  });

  it.each([
    ['not JSON', 'hello?', GatewayCloseCode.DECODE_ERROR],
    ['binary', Buffer.from([1, 2, 3]), GatewayCloseCode.DECODE_ERROR],
    ['an unknown opcode', { op: 99, d: {} }, GatewayCloseCode.UNKNOWN_OPCODE],
    ['a known opcode with a bad payload', { op: GatewayOpcode.IDENTIFY, d: { token: 5 } }, GatewayCloseCode.DECODE_ERROR],
    ['a presence update before identifying', { op: GatewayOpcode.PRESENCE_UPDATE, d: { status: 'online', since: null, afk: false } }, GatewayCloseCode.NOT_AUTHENTICATED],
    ['a bad token', { op: GatewayOpcode.IDENTIFY, d: { token: 'nope' } }, GatewayCloseCode.AUTHENTICATION_FAILED],
    ['intents out of range', 'IDENTIFY_WITH_BAD_INTENTS', GatewayCloseCode.INVALID_INTENTS],
  ])('closes with a documented code on %s', async (_what, frame, code) => {
    const { client } = await signUp(server);
    const gw = await RawGateway.open(server.url);
    if (frame === 'IDENTIFY_WITH_BAD_INTENTS') gw.identify(client.token!, { intents: 2 ** 30 });
    else gw.socket.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
    expect(await gw.closeCode()).toBe(code);
  });

  it('refuses a second IDENTIFY, other API versions, and oversized frames', async () => {
    const { client } = await signUp(server);
    const twice = await RawGateway.open(server.url);
    twice.identify(client.token!);
    await twice.dispatch('READY');
    twice.identify(client.token!);
    expect(await twice.closeCode()).toBe(GatewayCloseCode.ALREADY_AUTHENTICATED);

    const v9 = await RawGateway.open(server.url, '?v=9&encoding=json');
    expect(await v9.closeCode()).toBe(GatewayCloseCode.INVALID_API_VERSION);

    const big = await RawGateway.open(server.url);
    big.send({ op: GatewayOpcode.HEARTBEAT, d: null, padding: 'x'.repeat(Limits.gatewayFrameMaxBytes + 1) });
    expect(await big.closeCode()).toBe(1009); // WebSocket "message too big"
  });

  it('closes a client that sends more than 120 frames a minute (4008)', async () => {
    const gw = await RawGateway.open(server.url);
    for (let i = 0; i < 125; i++) gw.send({ op: GatewayOpcode.HEARTBEAT, d: null });
    expect(await gw.closeCode()).toBe(GatewayCloseCode.RATE_LIMITED);
  });
});

describe('identify while memberships change', () => {
  it('holds a guild joined between reading the memberships and reading the log head, and loses nothing of the others meanwhile', async () => {
    const joinedBefore = await makeGuild(server, { name: 'Known' });
    const { owner, general, guild } = await makeGuild(server);
    const newcomer = await joinGuild(server, joinedBefore.owner, joinedBefore.general.id);
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    // The join lands just after identify read the newcomer's memberships, before it read the log's
    // head; a message in the guild it knew lands while it reads them again.
    const memberships = (server.app.gateway as unknown as { reads: { memberships: { load(userId: string): Promise<unknown> } } }).reads.memberships;
    const load = memberships.load.bind(memberships);
    let reads = 0;
    memberships.load = async (userId) => {
      const read = await load(userId);
      if (userId !== newcomer.userId) return read;
      reads++;
      if (reads === 1) await newcomer.client.request(routes.invites.accept, { params: { code: invite.code } });
      if (reads === 2) await send(joinedBefore.owner, joinedBefore.general.id, 'during identify');
      return read;
    };
    try {
      const gw = await RawGateway.open(server.url);
      gw.identify(newcomer.client.token!);
      const ready = await gw.dispatch('READY');
      expect(reads).toBe(2);
      expect((ready.d as { guilds: { id: string }[] }).guilds.map((g) => g.id).sort()).toEqual([joinedBefore.guild.id, guild.id].sort());
      const during = await gw.next((f) => f.t === 'MESSAGE_CREATE');
      expect((during.d as Message).content).toBe('during identify');
      const from = gw.frames.length;
      await send(owner, general.id, 'welcome');
      const heard = await gw.next((f) => f.t === 'MESSAGE_CREATE', from);
      expect((heard.d as Message).content).toBe('welcome');
      gw.close();
    } finally {
      memberships.load = load;
    }
  });
});

describe('liveness', () => {
  it('drops a session that stops heartbeating, and a socket that never identifies', async () => {
    let now = Date.UTC(2026, 10, 21);
    const timed = await startTestServer({ clock: { now: () => now }, env: { GATEWAY_HEARTBEAT_MS: '1000' } });
    try {
      const { client } = await signUp(timed);
      const silent = await RawGateway.open(timed.url);
      silent.identify(client.token!);
      await silent.dispatch('READY');
      const idle = await RawGateway.open(timed.url);
      await idle.next((f) => f.op === GatewayOpcode.HELLO);
      now += 60_000; // the sweeper runs on a real timer; it reads this clock
      expect(await silent.closeCode()).toBe(GatewayCloseCode.UNKNOWN_ERROR);
      expect(await idle.closeCode()).toBe(GatewayCloseCode.SESSION_TIMED_OUT);
    } finally {
      await timed.close();
    }
  });
});

describe('resume', () => {
  it('replays exactly the events missed while disconnected, in order, then carries on live', async () => {
    const { owner, general } = await makeGuild(server);
    const reader = await signUp(server);
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    await reader.client.request(routes.invites.accept, { params: { code: invite.code } });

    const first = await RawGateway.open(server.url);
    first.identify(reader.client.token!);
    const ready = await first.dispatch('READY');
    const sessionId = (ready.d as { session_id: string }).session_id;
    await send(owner, general.id, 'before the drop');
    const seen = await first.next((f) => f.t === 'MESSAGE_CREATE');
    // Drop without a clean close, as a network failure would: the session stays resumable.
    first.socket.terminate();

    const missed: Message[] = [];
    for (let i = 0; i < 5; i++) missed.push(await send(owner, general.id, `missed ${i}`));

    const second = await RawGateway.open(server.url);
    second.send({ op: GatewayOpcode.RESUME, d: { token: reader.client.token, session_id: sessionId, seq: seen.s } });
    const resumed = await second.dispatch('RESUMED');
    const replayed = second.frames.filter((f) => f.t === 'MESSAGE_CREATE').map((f) => (f.d as Message).content);
    expect(replayed).toEqual(['missed 0', 'missed 1', 'missed 2', 'missed 3', 'missed 4']);
    const seqs = second.frames.filter((f) => f.op === 0 && f.t !== 'RESUMED').map((f) => f.s!);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs[0]).toBeGreaterThan(seen.s!);

    const liveFrom = second.frames.length;
    await send(owner, general.id, 'after the resume');
    const live = await second.next((f) => f.t === 'MESSAGE_CREATE', liveFrom);
    expect((live.d as Message).content).toBe('after the resume');
    expect(live.s).toBeGreaterThan(resumed.s!);
    second.close();
  });

  it('keeps every message exactly once and in order through server-requested reconnects (SDK)', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const live = await server.connect(members[0]!.client.token!);
    // Twice, the server tells the client to reconnect (what a restart does).
    const reconnect = () => server.app.gateway.reconnectUser(members[0]!.userId as never);
    const { received, resumes } = await sendThroughDrops(owner, general.id, live, [reconnect, reconnect]);
    expect(received).toEqual(Array.from({ length: 40 }, (_, i) => `n${i}`));
    expect(resumes).toBe(2);
  });

  it('answers INVALID_SESSION for unknown, foreign or expired sessions; the client then identifies again', async () => {
    const small = await startTestServer({ env: { EVENT_LOG_MAX_ENTRIES: '100', MESSAGE_RATE_LIMIT: '10000/1' } });
    try {
      const { owner, general } = await makeGuild(small);
      const stranger = await signUp(small);
      const gw = await RawGateway.open(small.url);
      gw.identify(owner.client.token!);
      const ready = await gw.dispatch('READY');
      const sessionId = (ready.d as { session_id: string }).session_id;
      gw.socket.terminate();

      const tryResume = async (token: string, session: string, seq: number) => {
        const attempt = await RawGateway.open(small.url);
        attempt.send({ op: GatewayOpcode.RESUME, d: { token, session_id: session, seq } });
        const answer = await attempt.next((f) => f.op === GatewayOpcode.INVALID_SESSION || f.t === 'RESUMED');
        return { attempt, answer };
      };
      expect((await tryResume(owner.client.token!, 'f'.repeat(32), ready.s!)).answer).toMatchObject({ op: 9, d: false });
      expect((await tryResume(stranger.client.token!, sessionId, ready.s!)).answer).toMatchObject({ op: 9, d: false });
      // 150 events later, the 100-entry log no longer holds what the session missed.
      for (let i = 0; i < 150; i++) await send(owner, general.id, `flood ${i}`);
      const { attempt, answer } = await tryResume(owner.client.token!, sessionId, ready.s!);
      expect(answer).toMatchObject({ op: 9, d: false });
      // The same socket may identify afresh.
      attempt.identify(owner.client.token!);
      expect((await attempt.dispatch('READY')).d).toMatchObject({ user: { id: owner.userId } });
      attempt.close();
    } finally {
      await small.close();
    }
  });
});

describe('presence', () => {
  it('shows a newcomer who is already online to the server they join', async () => {
    const { owner, general } = await makeGuild(server);
    const watcher = await server.connect(owner.client.token!);
    const newcomer = await signUp(server);
    await server.connect(newcomer.client.token!);
    const online = watcher.gateway.once('PRESENCE_UPDATE', (p) => p.user.id === newcomer.userId && p.status === 'online');
    const invite = await owner.client.request(routes.invites.create, { params: { channel_id: general.id }, body: {} });
    await newcomer.client.request(routes.invites.accept, { params: { code: invite.code } });
    await online;
  });

  it('shows members online, their chosen status, invisible as offline, and offline when the last session ends', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 1 });
    const watcher = await server.connect(owner.client.token!);
    const friend = members[0]!;
    const presenceOf = (status: string) => watcher.gateway.once('PRESENCE_UPDATE', (p) => p.user.id === friend.userId && p.status === status);

    const online = presenceOf('online');
    const phone = await server.connect(friend.client.token!);
    expect(await online).toMatchObject({ guild_id: guild.id, status: 'online' });
    expect(watcher.cache.presences.get(friend.userId as never)).toBe('online');

    const dnd = presenceOf('dnd');
    phone.gateway.updatePresence('dnd');
    await dnd;
    const laptop = await server.connect(friend.client.token!);
    // A second device shares the status the user chose.
    expect(laptop.cache.presences.get(friend.userId as never)).toBe('dnd');

    const invisible = presenceOf('offline');
    laptop.gateway.updatePresence('invisible');
    await invisible;

    const visible = presenceOf('idle');
    phone.gateway.updatePresence('idle');
    await visible;
    phone.gateway.close();
    // One session still open: no offline yet. Closing the last one sends it.
    const offline = presenceOf('offline');
    laptop.gateway.close();
    await offline;
  });
});

describe('member requests', () => {
  it('answers with a members chunk, and with RATE_LIMITED when asked too often', async () => {
    const { owner, guild, members } = await makeGuild(server, { members: 2 });
    const gw = await RawGateway.open(server.url);
    gw.identify(owner.client.token!);
    await gw.dispatch('READY');
    const username = (await members[1]!.client.request(routes.users.getMe)).username;
    gw.send({ op: GatewayOpcode.REQUEST_GUILD_MEMBERS, d: { guild_id: guild.id, query: username.slice(0, 8), limit: 10, presences: true, nonce: 'a' } });
    const chunk = await gw.dispatch('GUILD_MEMBERS_CHUNK');
    expect(chunk.d).toMatchObject({ guild_id: guild.id, nonce: 'a', members: [{ user: { id: members[1]!.userId } }] });
    gw.send({ op: GatewayOpcode.REQUEST_GUILD_MEMBERS, d: { guild_id: guild.id, user_ids: [members[0]!.userId], limit: 0, nonce: 'b' } });
    const limited = await gw.dispatch('RATE_LIMITED');
    expect(limited.d).toMatchObject({ opcode: 8, retry_after: expect.any(Number), meta: { guild_id: guild.id, nonce: 'b' } });
    expect(gw.closed).toBeNull();
    gw.close();
  });
});

describe('intents', () => {
  it('delivers only the events a session asked for', async () => {
    const { owner, general, members } = await makeGuild(server, { members: 1 });
    const guildsOnly = await server.connect(members[0]!.client.token!, { intents: Intents.GUILDS });
    const withMessages = await server.connect(members[0]!.client.token!, { intents: Intents.GUILDS | Intents.GUILD_MESSAGES });
    let leaked = false;
    guildsOnly.gateway.on('MESSAGE_CREATE', () => (leaked = true));
    const got = withMessages.gateway.once('MESSAGE_CREATE');
    await send(owner, general.id, 'for those who listen');
    await got;
    // Both sessions read the same log in order: a later event proves the earlier one was skipped.
    const marker = guildsOnly.gateway.once('CHANNEL_UPDATE');
    await owner.client.request(routes.channels.update, { params: { channel_id: general.id }, body: { topic: 'marker' } });
    await marker;
    expect(leaked).toBe(false);
  });
});

describe('robustness', () => {
  it('survives a storm of random and malformed frames without crashing or changing stored messages', async () => {
    const { owner, general } = await makeGuild(server);
    await send(owner, general.id, 'keep me');
    const before = await sql`select id, content, edited_at from messages order by id`.execute(server.db.database.db);
    const frames: unknown[] = [
      '',
      '{',
      'null',
      '[]',
      '{"op":"1"}',
      '{"op":2}',
      '{"op":2,"d":null}',
      '{"op":6,"d":{"seq":-1}}',
      '{"op":8,"d":{"guild_id":"x"}}',
      JSON.stringify({ op: 1, d: 'x'.repeat(100) }),
      JSON.stringify({ op: 3, d: { status: 'weird' } }),
      JSON.stringify({ op: 0, t: 'MESSAGE_CREATE', d: {} }),
      JSON.stringify({ op: 2, d: { token: owner.client.token, intents: -1 } }),
      JSON.stringify({ __proto__: { op: 1 } }),
      '\u0000\u0001',
    ];
    const sockets = await Promise.all(Array.from({ length: 20 }, () => RawGateway.open(server.url)));
    for (let round = 0; round < 300; round++) {
      const socket = sockets[round % sockets.length]!;
      if (socket.closed) continue;
      const pick = randomInt(3);
      const frame =
        pick === 0
          ? frames[randomInt(frames.length)]!
          : pick === 1
            ? randomBytes(randomInt(1, 64)).toString(randomInt(2) ? 'hex' : 'latin1')
            : JSON.stringify({ op: randomInt(-2, 15), d: randomInt(2) ? null : { token: randomBytes(8).toString('hex'), seq: randomInt(1000) } });
      socket.send(frame);
    }
    const codes = await Promise.all(sockets.map(async (s) => (s.closed ? s.closed.code : await Promise.race([s.closeCode(), new Promise<number>((r) => setTimeout(() => r(0), 2000))]))));
    const documented = new Set<number>([0, 1009, ...Object.values(GatewayCloseCode)]);
    for (const code of codes) expect(documented.has(code), `close code ${code}`).toBe(true);
    for (const s of sockets) s.socket.terminate();

    // The node still serves: health, REST and a fresh gateway session.
    expect((await server.app.inject('/readyz')).statusCode).toBe(200);
    const check = await server.connect(owner.client.token!);
    const heard = check.gateway.once('MESSAGE_CREATE');
    await send(owner, general.id, 'still here');
    expect((await heard).content).toBe('still here');
    const after = await sql`select id, content, edited_at from messages order by id`.execute(server.db.database.db);
    expect(after.rows.slice(0, before.rows.length)).toEqual(before.rows);
  });

  it('disconnects a consumer that stops reading, instead of buffering for it without bound', async () => {
    const slow = await startTestServer({ env: { GATEWAY_MAX_BUFFERED_BYTES: String(64 * 1024), MESSAGE_RATE_LIMIT: '10000/1' } });
    try {
      const { owner, general, members } = await makeGuild(slow, { members: 1 });
      const gw = await RawGateway.open(slow.url);
      gw.identify(members[0]!.client.token!);
      await gw.dispatch('READY');
      const connections = slow.app.gateway.size;
      // Stop reading from the socket: the server's send buffer fills up.
      (gw.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      const big = 'x'.repeat(3900);
      // Kernel socket buffers absorb a few MB first; bounded at 4,000 messages (~16 MB), sent 20
      // at a time so a busy machine still gets there well within the test's time.
      for (let i = 0; i < 4000 && slow.app.gateway.size === connections; i += 20) {
        await Promise.all(Array.from({ length: 20 }, (_, j) => send(owner, general.id, `${i + j} ${big}`)));
      }
      expect(slow.app.gateway.size).toBe(connections - 1);
    } finally {
      await slow.close();
    }
  });
});
