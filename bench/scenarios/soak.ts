import fs from 'node:fs';
import { routes, type Snowflake } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import WebSocket from 'ws';
import type { BenchOptions } from '../lib/options';
import { Deployment, type ParleyNode } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { type BenchGuild, createGuests, createGuilds, mapConcurrent } from '../lib/setup';
import { delay, machineInfo, waitFor } from '../lib/system';

/** Sampling and bounds. Every phase ends by itself. */
const RSS_EVERY_MS = 10_000;
/** RSS of a node process counts from this long after it started (caches, JIT, pools warming up). */
const WARM_UP_MS = 60_000;
const CONNECT_TIMEOUT_MS = 300_000;
/** After the traffic stops: every client back and every acknowledged message in, at most this long. */
const SETTLE_TIMEOUT_MS = 120_000;
/** A client's reconnect backoff after a drop (what the SDK does): exponential, capped, jittered. */
const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 10_000;
/** Told to reconnect (op 7), a client goes at a random moment within this (the SDK's SENT_AWAY_SPREAD_MS). */
const SENT_AWAY_SPREAD_MS = 500;

/** Nearest-rank percentile; 0 when empty. */
function percentile(values: readonly number[], p: number): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function loadAverage(): string {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

interface Kill {
  atSeconds: number;
  node: number;
  signal: 'SIGKILL' | 'SIGTERM';
  /** From the signal to the process gone. */
  exitMs: number;
  load: string;
  /** Clients whose connection it closed. */
  dropped: number;
  /** For each of them: from its socket closing to RESUMED (or READY) on another node. */
  backMs: number[];
  /** When the clients' attempts started, relative to the kill: how the storm was spread. */
  attemptOffsetsMs: number[];
}

/**
 * A light gateway client as a bench can run 3,000 of: raw `ws`, Discord's resume with the SDK's
 * reconnect policy (op 7: at once within 0.5 s; a drop: jittered exponential backoff), through a
 * "load balancer" that picks a random node per attempt. It keeps every MESSAGE_CREATE id by channel.
 */
class SoakClient {
  ws: WebSocket | null = null;
  sessionId: string | null = null;
  seq: number | null = null;
  ready = false;
  attempts = 0;
  sentAway = false;
  heartbeatMs = 41_250;
  nextBeatAt = 0;
  readonly received = new Map<Snowflake, Snowflake[]>();
  resumes = 0;
  invalidSessions = 0;
  identifies = 0;
  /** Set when the socket closes; the kill it belongs to reads the time to RESUMED from it. */
  droppedAt: number | null = null;
  droppedBy: Kill | null = null;

  constructor(
    readonly token: string,
    private readonly nodes: () => ParleyNode[],
    private readonly isUp: (index: number) => boolean,
    private readonly now: () => number,
  ) {}

  open(): void {
    // The balancer: a random node in rotation (nodes being restarted are out of it).
    const up = this.nodes().filter((n) => this.isUp(n.index));
    const node = up.length ? up[Math.floor(Math.random() * up.length)]! : this.nodes()[0]!;
    this.droppedBy?.attemptOffsetsMs.push(this.now() - this.droppedBy.atSeconds * 1000);
    const ws = new WebSocket(node.gatewayUrl, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => this.receive(ws, data));
    ws.on('close', () => this.closed(ws));
  }

  private receive(ws: WebSocket, data: Buffer): void {
    const frame = JSON.parse(data.toString('utf8')) as { op: number; t?: string; s?: number; d?: { id?: Snowflake; channel_id?: Snowflake; session_id?: string; heartbeat_interval?: number } };
    if (frame.op === 10) {
      this.heartbeatMs = frame.d!.heartbeat_interval!;
      this.nextBeatAt = this.now() + Math.random() * this.heartbeatMs;
      if (this.sessionId && this.seq !== null) ws.send(JSON.stringify({ op: 6, d: { token: this.token, session_id: this.sessionId, seq: this.seq } }));
      else this.identify(ws);
    } else if (frame.op === 7) {
      this.sentAway = true;
      ws.close(4900);
    } else if (frame.op === 9) {
      // The session could not be resumed: anything it missed is lost to it (counted against the run).
      this.invalidSessions++;
      this.sessionId = null;
      this.seq = null;
      this.identify(ws);
    } else if (frame.op === 0) {
      if (frame.s !== undefined && (this.seq === null || frame.s > this.seq)) this.seq = frame.s;
      if (frame.t === 'MESSAGE_CREATE') {
        const ids = this.received.get(frame.d!.channel_id!) ?? [];
        ids.push(frame.d!.id!);
        this.received.set(frame.d!.channel_id!, ids);
      } else if (frame.t === 'READY' || frame.t === 'RESUMED') {
        if (frame.t === 'READY') this.sessionId = frame.d!.session_id!;
        else this.resumes++;
        this.ready = true;
        this.attempts = 0;
        if (this.droppedBy && this.droppedAt !== null) this.droppedBy.backMs.push(this.now() - this.droppedAt);
        this.droppedBy = null;
        this.droppedAt = null;
      }
    }
  }

  private identify(ws: WebSocket): void {
    this.identifies++;
    ws.send(JSON.stringify({ op: 2, d: { token: this.token, properties: { os: 'linux', browser: 'parley-soak', device: 'parley-soak' } } }));
  }

  private closed(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = null;
    if (this.ready) this.droppedAt = this.now();
    this.ready = false;
    if (stopping) return;
    const wait = this.sentAway ? Math.random() * SENT_AWAY_SPREAD_MS : Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    if (!this.sentAway) this.attempts++;
    this.sentAway = false;
    setTimeout(() => this.open(), wait);
  }

  beat(now: number): void {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN || now < this.nextBeatAt) return;
    this.nextBeatAt = now + this.heartbeatMs;
    this.ws.send(JSON.stringify({ op: 1, d: this.seq }));
  }
}

/** Set at the end: closing sockets no longer reconnect. */
let stopping = false;

/**
 * Issue 17's soak: --nodes (3) on PostgreSQL + Redis, --connections gateway clients spread over
 * them in servers of --guild-size, steady messages (--rate per second through REST on a random
 * node), one node stopped every --kill-every seconds (SIGKILL and SIGTERM in turn) and started
 * again, for --minutes. Checks every client received every acknowledged message of its channel
 * exactly once, reports each kill's reconnects and every node's RSS.
 */
export async function soakScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.soak;
  const startedAt = new Date();
  const clock0 = performance.now();
  const now = () => performance.now() - clock0;
  const notes: string[] = [];
  const deployment = new Deployment(options.deployment);
  const clients: SoakClient[] = [];
  stopping = false;
  let beats: NodeJS.Timeout | null = null;
  try {
    const nodes = await deployment.start();
    const up = new Set(nodes.map((n) => n.index));
    const startedAtMs = new Map(nodes.map((n) => [n.index, now()]));
    progress(`creating ${o.connections} guests in servers of ${o.guildSize} (load ${loadAverage()})`);
    const users = await createGuests(nodes[0]!.baseUrl, o.connections);
    const guilds: BenchGuild[] = await createGuilds(nodes[0]!.baseUrl, users, o.guildSize);

    for (const user of users)
      clients.push(
        new SoakClient(
          user.token,
          () => deployment.nodes,
          (i) => up.has(i),
          now,
        ),
      );
    beats = setInterval(() => {
      const t = now();
      for (const c of clients) c.beat(t);
    }, 1000);
    progress(`connecting ${clients.length} clients over ${nodes.length} nodes`);
    await mapConcurrent(clients, 50, async (c) => {
      c.open();
      await waitFor(() => c.ready, 60_000, 20);
    });
    const allReady = await waitFor(() => clients.every((c) => c.ready), CONNECT_TIMEOUT_MS, 100);
    if (!allReady) throw new Error(`only ${clients.filter((c) => c.ready).length} of ${clients.length} clients READY`);
    progress(`${clients.length} READY (load ${loadAverage()}); soak for ${o.minutes} min at ${o.rate} msg/s, a node down every ${o.killEverySeconds} s`);

    // RSS of each node process, every 10 s.
    const rss: { node: number; pid: number; atSeconds: number; sinceStartSeconds: number; mib: number }[] = [];
    const sample = () => {
      for (const n of deployment.nodes) {
        if (!up.has(n.index)) continue;
        const bytes = n.rss();
        if (bytes > 0)
          rss.push({
            node: n.index,
            pid: n.pid,
            atSeconds: Math.round(now() / 1000),
            sinceStartSeconds: Math.round((now() - startedAtMs.get(n.index)!) / 1000),
            mib: Math.round((bytes / 2 ** 20) * 10) / 10,
          });
      }
    };
    sample();
    const sampler = setInterval(sample, RSS_EVERY_MS);

    // Steady traffic: one send every 1/rate s, each through a random node in rotation, from a member of a random server.
    const acknowledged = new Map<Snowflake, Snowflake[]>();
    let sends = 0;
    let failedSends = 0;
    let inflight = 0;
    const soakStart = now();
    const soakEnd = soakStart + o.minutes * 60_000;
    const traffic = (async () => {
      for (let i = 0; now() < soakEnd; i++) {
        const due = soakStart + (i * 1000) / o.rate;
        if (due > now()) await delay(due - now());
        if (inflight >= 64) {
          failedSends++;
          continue;
        }
        const guild = guilds[i % guilds.length]!;
        const sender = guild.members[Math.floor(Math.random() * guild.members.length)]!;
        const rotation = deployment.nodes.filter((n) => up.has(n.index));
        const node = rotation[Math.floor(Math.random() * rotation.length)]!;
        sends++;
        inflight++;
        void new RestClient({ baseUrl: node.baseUrl, token: sender.token })
          .request(routes.messages.create, { params: { channel_id: guild.channelId }, body: { content: `soak ${i}` } })
          .then(
            (message) => {
              const ids = acknowledged.get(guild.channelId) ?? [];
              ids.push(message.id);
              acknowledged.set(guild.channelId, ids);
            },
            () => failedSends++,
          )
          .finally(() => inflight--);
      }
    })();

    // The kills: node 0, 1, 2, 0, … in turn, SIGKILL and SIGTERM alternating; each started again at once.
    const kills: Kill[] = [];
    for (let k = 0; soakStart + (k + 1) * o.killEverySeconds * 1000 < soakEnd - 30_000; k++) {
      const at = soakStart + (k + 1) * o.killEverySeconds * 1000;
      await delay(Math.max(0, at - now()));
      const index = k % nodes.length;
      const signal = k % 2 === 0 ? 'SIGKILL' : 'SIGTERM';
      const kill: Kill = { atSeconds: now() / 1000, node: index, signal, exitMs: 0, load: loadAverage(), dropped: 0, backMs: [], attemptOffsetsMs: [] };
      kills.push(kill);
      // Out of the balancer's rotation first (as /readyz failing does), then the signal.
      up.delete(index);
      const onIt = clients.filter((c) => c.ws && new URL(c.ws.url).port === String(deployment.nodes[index]!.port));
      for (const c of onIt) c.droppedBy = kill;
      kill.dropped = onIt.length;
      progress(`t=${Math.round(now() / 1000)} s: ${signal} to node ${index} (${onIt.length} clients on it, load ${kill.load})`);
      kill.exitMs = Math.round(await deployment.stopNode(index, signal));
      await deployment.restartNode(index);
      startedAtMs.set(index, now());
      up.add(index);
      progress(`node ${index} exited in ${kill.exitMs} ms and is back; ${kill.backMs.length}/${kill.dropped} clients resumed so far`);
    }
    await traffic;
    await waitFor(() => inflight === 0, 30_000, 50);
    const soakSeconds = (now() - soakStart) / 1000;

    // Settle: every client back, and every acknowledged message in each of its channel's lists.
    const members = new Map<Snowflake, SoakClient[]>();
    guilds.forEach((g) => g.members.forEach((m) => (members.get(g.channelId) ?? members.set(g.channelId, []).get(g.channelId)!).push(clients[users.findIndex((u) => u.id === m.id)]!)));
    const missing = () => {
      let count = 0;
      for (const [channelId, ids] of acknowledged) {
        for (const c of members.get(channelId) ?? []) {
          const got = new Set(c.received.get(channelId) ?? []);
          for (const id of ids) if (!got.has(id)) count++;
        }
      }
      return count;
    };
    progress('traffic over; waiting for every client to have every acknowledged message');
    await waitFor(() => clients.every((c) => c.ready) && missing() === 0, SETTLE_TIMEOUT_MS, 1000);
    sample();
    clearInterval(sampler);

    const lost = missing();
    let duplicates = 0;
    let clientsLosing = 0;
    for (const [channelId, ids] of acknowledged) {
      for (const c of members.get(channelId) ?? []) {
        const got = c.received.get(channelId) ?? [];
        duplicates += got.length - new Set(got).size;
        const set = new Set(got);
        if (ids.some((id) => !set.has(id))) clientsLosing++;
      }
    }
    const acked = [...acknowledged.values()].reduce((n, ids) => n + ids.length, 0);
    const deliveriesChecked = [...acknowledged].reduce((n, [channelId, ids]) => n + ids.length * (members.get(channelId)?.length ?? 0), 0);

    const killRows = kills.map((k) => {
      const offsets = [...k.attemptOffsetsMs].sort((a, b) => a - b);
      return {
        't s': Math.round(k.atSeconds),
        node: k.node,
        signal: k.signal,
        'exit ms': k.exitMs,
        dropped: k.dropped,
        resumed: k.backMs.length,
        'back p50 ms': Math.round(percentile(k.backMs, 50)),
        'back p90 ms': Math.round(percentile(k.backMs, 90)),
        'back max ms': Math.round(Math.max(0, ...k.backMs)),
        'attempts in 1st s': offsets.filter((ms) => ms < 1000).length,
        'attempts 1–5 s': offsets.filter((ms) => ms >= 1000 && ms < 5000).length,
        'attempts > 5 s': offsets.filter((ms) => ms >= 5000).length,
        load: k.load,
      };
    });
    printTable('Kills (back: from the socket closing to RESUMED on another node; attempts: when reconnects started, after the kill)', killRows);
    const memory = [...new Set(rss.map((r) => `${r.node}/${r.pid}`))].map((key) => {
      const [node, pid] = key.split('/').map(Number) as [number, number];
      const all = rss.filter((r) => r.node === node && r.pid === pid);
      const warm = all.filter((r) => r.sinceStartSeconds * 1000 >= WARM_UP_MS);
      const series = warm.length ? warm : all;
      return {
        node,
        pid,
        'from s': series[0]!.atSeconds,
        'to s': series.at(-1)!.atSeconds,
        samples: series.length,
        'start MiB': series[0]!.mib,
        'end MiB': series.at(-1)!.mib,
        'max MiB': Math.max(...series.map((r) => r.mib)),
        warm: warm.length > 0,
      };
    });
    printTable(`RSS per node process (every ${RSS_EVERY_MS / 1000} s, from ${WARM_UP_MS / 1000} s after its start)`, memory);
    const invalidSessions = clients.reduce((n, c) => n + c.invalidSessions, 0);
    const resumes = clients.reduce((n, c) => n + c.resumes, 0);
    printTable('Delivery', [
      {
        clients: clients.length,
        sends,
        acknowledged: acked,
        'failed sends': failedSends,
        'deliveries checked': deliveriesChecked,
        lost,
        duplicates,
        'clients losing': clientsLosing,
        resumes,
        'invalid sessions': invalidSessions,
        load: loadAverage(),
      },
    ]);
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);
    const growth = memory.filter((m) => m.warm && m.samples >= 3).map((m) => m['end MiB'] / m['start MiB']);
    return {
      scenario: 'soak',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: options.deployment.nodes, redis: options.deployment.redis, target: 'parley' },
      params: { ...o },
      results: {
        soakSeconds: Math.round(soakSeconds),
        sends,
        acknowledged: acked,
        failedSends,
        deliveriesChecked,
        lost,
        duplicates,
        clientsLosing,
        resumes,
        invalidSessions,
        kills: killRows,
        memory,
        rssSamples: rss,
        loadAverageAtEnd: loadAverage(),
      },
      targets: [
        target('acknowledged messages lost, over every client', '0', lost, 'deliveries', (v) => v === 0),
        target('duplicates, over every client', '0', duplicates, 'deliveries', (v) => v === 0),
        target('sessions that could not resume', '0', invalidSessions, 'sessions', (v) => v === 0),
        target('RSS growth of a node process after warm-up (end / start, worst)', '≤ 1.25', growth.length ? Math.round(Math.max(...growth) * 100) / 100 : null, '×', (v) => v <= 1.25),
      ],
      notes,
    };
  } finally {
    stopping = true;
    if (beats) clearInterval(beats);
    for (const c of clients) c.ws?.terminate();
    await delay(200);
    await deployment.dispose();
  }
}
