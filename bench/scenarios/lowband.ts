import http from 'node:http';
import net from 'node:net';
import { constants, createDeflate } from 'node:zlib';
import { ALL_INTENTS, ChannelType, Intents, type PresenceStatus, type Ready, type Snowflake, routes } from '@parley/protocol';
import { GatewayClient, RestClient, type WebSocketConstructor } from '@parley/sdk';
import { nodeZlibInflater } from '@parley/sdk/node-zlib';
import WebSocket from 'ws';
import type { BenchOptions } from '../lib/options';
import { Deployment } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { random, sentence } from '../lib/seed';
import { createGuests, createGuild, mapConcurrent } from '../lib/setup';
import { delay, machineInfo, waitFor } from '../lib/system';

/** 56 kbit/s, the link the issue asks about, in bytes per second. */
const LINK_BYTES_PER_SECOND = 7000;

/**
 * What the terminal client shows, and so the intents it could ask for: messages, reactions and
 * typing in servers and DMs, member changes, channels. Not presences (its only use is the online
 * dot beside a DM, which READY fills and would then stop following), voice (it has no calls),
 * bans or invites.
 */
const TUI_INTENTS =
  Intents.GUILDS |
  Intents.GUILD_MEMBERS |
  Intents.GUILD_MESSAGES |
  Intents.GUILD_MESSAGE_REACTIONS |
  Intents.GUILD_MESSAGE_TYPING |
  Intents.DIRECT_MESSAGES |
  Intents.DIRECT_MESSAGE_REACTIONS |
  Intents.DIRECT_MESSAGE_TYPING |
  Intents.MESSAGE_CONTENT;

interface Observed {
  name: string;
  compress: boolean;
  intents: number;
  client: GatewayClient;
  sockets: net.Socket[];
  readyWireBytes: number;
  readyJsonBytes: number;
  dispatches: Map<string, number>;
}

/**
 * A terminal client on a slow link (issue: "usable over a 56 kbit/s link"): one person in a
 * server of --guild-members (200), seen through four gateway sessions of their own at once, one
 * per way of connecting (text or `compress=zlib-stream`, every intent or the terminal client's),
 * so all four receive exactly the same traffic. Counts the bytes each socket reads off the wire
 * (TCP payload: the HTTP upgrade, WebSocket headers and payloads; not TCP/IP headers): READY, then
 * a busy period of --busy-seconds with --message-rate messages/s in the person's channel (each
 * after its author's typing), one a second in the other channels, and --presence-rate status
 * changes/s among --online members who are connected.
 */
export async function lowbandScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.lowband;
  const startedAt = new Date();
  const notes: string[] = [];
  const deployment = new Deployment(options.deployment);
  const online: GatewayClient[] = [];
  const observed: Observed[] = [];
  const payloads: string[] = [];
  try {
    const [node] = await deployment.start();
    const { baseUrl, gatewayUrl } = node!;
    progress(`creating ${o.guildMembers} guests in one server with ${o.channels} text channels`);
    const users = await createGuests(baseUrl, o.guildMembers);
    const guild = await createGuild(baseUrl, users[0]!, users.slice(1), 'lowband');
    const ownerRest = new RestClient({ baseUrl, token: users[0]!.token });
    const channels: Snowflake[] = [guild.channelId];
    for (let i = 1; i < o.channels; i++) {
      const channel = await ownerRest.request(routes.channels.create, { params: { guild_id: guild.guildId }, body: { name: `channel-${i}`, type: ChannelType.GUILD_TEXT } });
      channels.push(channel.id);
    }
    const person = users[1]!;
    const others = users.slice(2);
    const rests = new Map(others.map((u) => [u.id, new RestClient({ baseUrl, token: u.token })]));
    // Some history, so the first page the client loads is a full one.
    const next = random(7);
    for (let i = 0; i < 50; i++) await rests.get(others[i % others.length]!.id)!.request(routes.messages.create, { params: { channel_id: guild.channelId }, body: { content: sentence(next) } });

    progress(`connecting ${o.online} other members (online, changing status during the busy period)`);
    const onlineUsers = others.slice(0, o.online);
    await mapConcurrent(onlineUsers, 8, async (user) => {
      const client = new GatewayClient({ url: gatewayUrl.split('?')[0]!, token: user.token, intents: 0, WebSocket: WebSocket as unknown as WebSocketConstructor });
      online.push(client);
      await client.connect();
    });
    await delay(1000);

    for (const [name, compress, intents] of [
      ['text, every intent', false, ALL_INTENTS],
      ['zlib-stream, every intent', true, ALL_INTENTS],
      ['text, terminal intents', false, TUI_INTENTS],
      ['zlib-stream, terminal intents', true, TUI_INTENTS],
    ] as const) {
      const sockets: net.Socket[] = [];
      const client = new GatewayClient({
        url: gatewayUrl.split('?')[0]!,
        token: person.token,
        intents,
        WebSocket: countingWebSocket(sockets),
        ...(compress && { compress: true, inflater: nodeZlibInflater }),
      });
      const dispatches = new Map<string, number>();
      client.on('dispatch', ({ t }) => dispatches.set(t, (dispatches.get(t) ?? 0) + 1));
      // The text session's payloads, to compare deflate settings on the same traffic afterwards.
      if (!compress && intents === ALL_INTENTS) client.on('dispatch', ({ t, d }) => payloads.push(JSON.stringify({ op: 0, t, s: client.seq, d })));
      const ready: Ready = await client.connect();
      observed.push({ name, compress, intents, client, sockets, readyWireBytes: bytesRead(sockets), readyJsonBytes: Buffer.byteLength(JSON.stringify(ready)), dispatches });
      progress(`${name}: READY took ${bytesRead(sockets).toLocaleString('en-US')} bytes on the wire`);
    }

    // The first page of history the terminal client asks for when it opens a channel, as the
    // bytes that cross the wire (node:http: fetch would hand back the body decompressed).
    const page = await rawGet(`${baseUrl}/api/v10/channels/${guild.channelId}/messages?limit=50`, { authorization: person.token, 'accept-encoding': 'gzip, deflate, br' });
    const pageHeaderBytes = Object.entries(page.headers).reduce((sum, [k, v]) => sum + k.length + String(v).length + 4, 20);
    const historyBytes = page.bodyBytes + pageHeaderBytes;
    notes.push(`first history page (GET …/messages?limit=50): ${historyBytes} bytes incl. ~${pageHeaderBytes} of headers; content-encoding: ${page.headers['content-encoding'] ?? 'none'}`);

    // Let the connect-time chatter (the person's own presence) pass before counting.
    await delay(1500);
    for (const c of observed) c.dispatches.clear();
    payloads.length = 0;
    const before = observed.map((c) => ({ read: bytesRead(c.sockets), written: bytesWritten(c.sockets) }));
    progress(`busy period: ${o.busySeconds} s, ${o.messageRate} messages/s here, 1/s elsewhere, ${o.presenceRate} status changes/s`);
    const load = await runLoad(o, channels, online, rests, random(11));
    // Deliveries still on their way.
    await delay(2000);
    const results = observed.map((c, i) => {
      const read = bytesRead(c.sockets) - before[i]!.read;
      const written = bytesWritten(c.sockets) - before[i]!.written;
      return {
        name: c.name,
        compress: c.compress,
        intents: c.intents,
        readyWireBytes: c.readyWireBytes,
        readyJsonBytes: c.readyJsonBytes,
        firstScreenSeconds: Math.round(((c.readyWireBytes + historyBytes) / LINK_BYTES_PER_SECOND) * 10) / 10,
        busyBytes: read,
        busyBytesPerSecond: Math.round(read / o.busySeconds),
        linkShare: Math.round((read / o.busySeconds / LINK_BYTES_PER_SECOND) * 1000) / 10,
        upstreamBytesPerSecond: Math.round(written / o.busySeconds),
        dispatches: Object.fromEntries([...c.dispatches].sort()),
      };
    });
    const deflateSettings = await compareDeflateSettings(payloads);
    printTable("The busy period's payloads (text session, every intent) through one deflate stream, sync-flushed", deflateSettings);
    const reference = results[0]!.dispatches.MESSAGE_CREATE ?? 0;
    for (const r of results) if ((r.dispatches.MESSAGE_CREATE ?? 0) !== reference) notes.push(`${r.name} received ${r.dispatches.MESSAGE_CREATE ?? 0} MESSAGE_CREATE, not ${reference}`);
    if (load.failed) notes.push(`${load.failed} load requests failed`);
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);

    printTable(`A terminal client's gateway traffic (${o.guildMembers} members, ${o.busySeconds} s busy; 56 kbit/s = 7,000 B/s)`, [
      ...results.map((r) => ({
        session: r.name,
        'READY B': r.readyWireBytes,
        'READY JSON B': r.readyJsonBytes,
        'first screen s': r.firstScreenSeconds,
        'busy B/s': r.busyBytesPerSecond,
        '% of 56k': r.linkShare,
        'up B/s': r.upstreamBytesPerSecond,
        messages: r.dispatches.MESSAGE_CREATE ?? 0,
        typing: r.dispatches.TYPING_START ?? 0,
        presences: r.dispatches.PRESENCE_UPDATE ?? 0,
      })),
    ]);
    const byName = (name: string) => results.find((r) => r.name === name)!;
    return {
      scenario: 'lowband',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: 1, redis: false, target: 'parley' },
      params: { ...o, linkBytesPerSecond: LINK_BYTES_PER_SECOND, terminalIntents: TUI_INTENTS },
      results: { load, historyPageBytes: historyBytes, sessions: results, deflateSettings },
      targets: [
        target('zlib-stream, every intent: busy traffic', '< 7,000 B/s', byName('zlib-stream, every intent').busyBytesPerSecond, 'B/s', (v) => v < LINK_BYTES_PER_SECOND),
        target('zlib-stream, every intent: READY + first history page at 56 kbit/s', '< 10 s', byName('zlib-stream, every intent').firstScreenSeconds, 's', (v) => v < 10),
      ],
      notes,
    };
  } finally {
    for (const c of observed) c.client.close();
    for (const client of online) client.close();
    await deployment.dispose();
  }
}

/**
 * The same payloads compressed as the server does (one stream, each sync-flushed) with other
 * window and memory settings: zlib's defaults, the server's (compression.ts), smaller ones.
 */
async function compareDeflateSettings(payloads: readonly string[]): Promise<Record<string, number | string>[]> {
  const text = payloads.reduce((sum, p) => sum + Buffer.byteLength(p), 0);
  const rows: Record<string, number | string>[] = [];
  for (const [windowBits, memLevel, note] of [
    [15, 8, "zlib's default"],
    [14, 5, ''],
    [13, 8, ''],
    [13, 5, "Parley's"],
    [12, 5, ''],
    [10, 4, ''],
  ] as const) {
    const deflate = createDeflate({ windowBits, memLevel, level: 6, flush: constants.Z_SYNC_FLUSH });
    let bytes = 0;
    deflate.on('data', (chunk: Buffer) => (bytes += chunk.length));
    for (const payload of payloads) await new Promise<void>((resolve) => deflate.write(payload, () => resolve()));
    deflate.destroy();
    rows.push({
      windowBits,
      memLevel,
      'state KiB': ((1 << (windowBits + 2)) + (1 << (memLevel + 9))) / 1024,
      payloads: payloads.length,
      'text B': text,
      'deflated B': bytes,
      ratio: Math.round((bytes / text) * 1000) / 1000,
      note,
    });
  }
  return rows;
}

/** ws, connecting through sockets this bench keeps, to read their byte counts. */
function countingWebSocket(sockets: net.Socket[]): WebSocketConstructor {
  class CountingWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, {
        // What ws does for ws:// URLs (its `path` is the request's, not a Unix socket's).
        createConnection: ((options: net.NetConnectOpts & { socketPath?: string }) => {
          const socket = net.connect({ ...options, path: options.socketPath } as net.NetConnectOpts);
          sockets.push(socket);
          return socket;
        }) as typeof net.createConnection,
      });
    }
  }
  return CountingWebSocket as unknown as WebSocketConstructor;
}

const bytesRead = (sockets: readonly net.Socket[]) => sockets.reduce((sum, s) => sum + s.bytesRead, 0);
const bytesWritten = (sockets: readonly net.Socket[]) => sockets.reduce((sum, s) => sum + s.bytesWritten, 0);

/**
 * The busy period's traffic, paced on a schedule (bounded: it ends after `busySeconds`, and
 * requests in flight are capped): messages in the person's channel and elsewhere, each after
 * its author's typing, and status changes among the connected members.
 */
async function runLoad(
  o: BenchOptions['lowband'],
  channels: readonly Snowflake[],
  online: readonly GatewayClient[],
  rests: Map<Snowflake, RestClient>,
  next: () => number,
): Promise<{ messages: number; elsewhere: number; typing: number; presenceChanges: number; skipped: number; failed: number }> {
  const events: { at: number; run: () => Promise<unknown> | void; kind: 'message' | 'elsewhere' | 'presence' }[] = [];
  const authors = [...rests.keys()];
  const say = (channelId: Snowflake) => {
    const rest = rests.get(authors[Math.floor(next() * authors.length)]!)!;
    const content = sentence(next);
    return async () => {
      await rest.request(routes.channels.typing, { params: { channel_id: channelId } });
      await rest.request(routes.messages.create, { params: { channel_id: channelId }, body: { content } });
    };
  };
  for (let i = 0; i < o.busySeconds * o.messageRate; i++) events.push({ at: (i * 1000) / o.messageRate, run: say(channels[0]!), kind: 'message' });
  if (channels.length > 1) for (let i = 0; i < o.busySeconds; i++) events.push({ at: i * 1000 + 500, run: say(channels[1 + (i % (channels.length - 1))]!), kind: 'elsewhere' });
  // Each change is a change: a member goes online → idle → dnd → online.
  const statuses: PresenceStatus[] = ['idle', 'dnd', 'online'];
  const changes = new Map<GatewayClient, number>();
  for (let i = 0; i < o.busySeconds * o.presenceRate && online.length > 0; i++) {
    const client = online[Math.floor(next() * online.length)]!;
    const n = changes.get(client) ?? 0;
    changes.set(client, n + 1);
    const status = statuses[n % statuses.length]!;
    events.push({ at: (i * 1000) / o.presenceRate + 250, run: () => client.updatePresence(status), kind: 'presence' });
  }
  events.sort((a, b) => a.at - b.at);
  const counts = { messages: 0, elsewhere: 0, typing: 0, presenceChanges: 0, skipped: 0, failed: 0 };
  let inflight = 0;
  const start = Date.now();
  for (const event of events) {
    const wait = start + event.at - Date.now();
    if (wait > 0) await delay(wait);
    if (inflight >= 64) {
      counts.skipped++;
      continue;
    }
    if (event.kind === 'presence') {
      void event.run();
      counts.presenceChanges++;
      continue;
    }
    inflight++;
    counts[event.kind === 'message' ? 'messages' : 'elsewhere']++;
    counts.typing++;
    void Promise.resolve(event.run())
      .catch(() => counts.failed++)
      .finally(() => inflight--);
  }
  const end = start + o.busySeconds * 1000;
  if (end > Date.now()) await delay(end - Date.now());
  await waitFor(() => inflight === 0, 10_000, 50);
  return counts;
}

/** A GET whose body is counted as it arrives on the socket, compressed or not. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ bodyBytes: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        let bodyBytes = 0;
        response.on('data', (chunk: Buffer) => (bodyBytes += chunk.length));
        response.on('end', () => resolve({ bodyBytes, headers: response.headers }));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}
