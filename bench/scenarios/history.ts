import http from 'node:http';
import type { BenchOptions } from '../lib/options';
import { Deployment } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { type SeedTarget, seedPostgres, seedSqlite, seededId } from '../lib/seed';
import { createGuests, createGuild } from '../lib/setup';
import { type LatencySummary, Samples, monoMicros, round } from '../lib/stats';
import { machineInfo } from '../lib/system';

const HISTORY_P99_TARGET_MS = 5;
/**
 * Requests of every kind before any is measured: V8 optimises the request path over the first
 * few hundred requests, which otherwise landed on whichever kind came first (its p50 was ~1 ms
 * above the others'). Then each kind still gets its own short warm-up.
 */
const WARMUP_ROUND = 50;
const WARMUP_REQUESTS = 20;
const AUTHORS = 20;

/** One kind of page request: a query built for request number r (depth jittered by r). */
interface PageKind {
  name: string;
  query: (r: number) => string;
}

/**
 * A channel seeded with N messages straight into the database, then
 * GET /channels/:id/messages?limit=50 at several depths, sequentially over one keep-alive
 * connection (latency, not throughput), p50/p99 per depth.
 */
export async function historyScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.history;
  const startedAt = new Date();
  const notes: string[] = [];
  const deployment = new Deployment(options.deployment);
  try {
    const [node] = await deployment.start();
    const users = await createGuests(node!.baseUrl, AUTHORS);
    const guild = await createGuild(node!.baseUrl, users[0]!, users.slice(1));
    await deployment.stop();

    const seed: SeedTarget = { channelId: guild.channelId, guildId: guild.guildId, authorIds: users.map((u) => u.id), count: o.messages, newestAt: Date.now() - 60_000 };
    progress(`seeding ${o.messages.toLocaleString('en-US')} messages (${options.deployment.engine}, FTS/tsvector maintained)`);
    const seedStarted = performance.now();
    let reported = 0;
    const onProgress = (done: number) => {
      if (done - reported >= 100_000 || done === o.messages) {
        reported = done;
        progress(`  ${done.toLocaleString('en-US')} rows, ${Math.round(done / ((performance.now() - seedStarted) / 1000)).toLocaleString('en-US')} rows/s`);
      }
    };
    if (options.deployment.engine === 'sqlite') seedSqlite(deployment.sqliteFile, seed, o.seedBatch, onProgress);
    else await seedPostgres(process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', deployment.schema!, seed, o.seedBatch, onProgress);
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    const [server] = await deployment.start();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const token = users[1]!.token; // a member, not the owner: the usual reader
    const path = `/api/v10/channels/${guild.channelId}/messages`;
    const at = (depth: number, r: number) => seededId(seed, Math.max(0, o.messages - 1 - depth - (r % 100))).toString();
    const mid = Math.floor(o.messages / 2);
    const kinds: PageKind[] = [
      { name: 'newest', query: () => '?limit=50' },
      ...[1_000, 10_000, 100_000, mid, o.messages - 200]
        .filter((d, i, all) => d > 0 && d < o.messages && all.indexOf(d) === i)
        .map((depth) => ({ name: `before, depth ${depth.toLocaleString('en-US')}`, query: (r: number) => `?limit=50&before=${at(depth, r)}` })),
      { name: `around, depth ${mid.toLocaleString('en-US')}`, query: (r: number) => `?limit=50&around=${at(mid, r)}` },
      { name: `after, depth ${mid.toLocaleString('en-US')}`, query: (r: number) => `?limit=50&after=${at(mid, r)}` },
    ];
    for (const kind of kinds) {
      for (let r = 0; r < WARMUP_ROUND; r++) await getPage(agent, server!.port, `${path}${kind.query(r)}`, token);
    }
    const measuredFrom = monoMicros();
    const rows: Record<string, unknown>[] = [];
    const byKind: Record<string, LatencySummary> = {};
    const all = new Samples();
    for (const kind of kinds) {
      const samples = new Samples();
      for (let r = 0; r < WARMUP_REQUESTS + o.requests; r++) {
        const started = performance.now();
        const { status, count } = await getPage(agent, server!.port, `${path}${kind.query(r)}`, token);
        const elapsed = performance.now() - started;
        if (status !== 200 || count !== 50) throw new Error(`${kind.name}: status ${status}, ${count} messages`);
        if (r >= WARMUP_REQUESTS) {
          samples.add(elapsed);
          all.add(elapsed);
        }
      }
      const summary = samples.summary();
      byKind[kind.name] = summary;
      rows.push({ page: kind.name, requests: summary.count, 'p50 ms': summary.p50, 'p90 ms': summary.p90, 'p99 ms': summary.p99, 'max ms': summary.max });
    }
    agent.destroy();
    if (options.deployment.cpuProfDir) {
      console.log(`profile of this phase: npx tsx bench/profile-top.ts ${options.deployment.cpuProfDir}/<file> --from ${measuredFrom} --to ${monoMicros()}`);
    }
    printTable(`History pages of 50, ${o.messages.toLocaleString('en-US')} messages in the channel (${options.deployment.engine})`, rows);
    const overall = all.summary();
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);
    return {
      scenario: 'history',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: 1, redis: false, target: 'parley' },
      params: { ...o, warmupRound: WARMUP_ROUND, warmupRequests: WARMUP_REQUESTS },
      results: { seedSeconds: round(seedSeconds, 1), seedRowsPerSecond: Math.round(o.messages / seedSeconds), pages: byKind, overall },
      targets:
        options.deployment.engine === 'sqlite'
          ? [target(`history page of 50 at ${o.messages.toLocaleString('en-US')} messages, p99 over all depths`, `< ${HISTORY_P99_TARGET_MS} ms`, overall.p99, 'ms', (v) => v < HISTORY_P99_TARGET_MS)]
          : [],
      notes,
    };
  } finally {
    await deployment.dispose();
  }
}

/** One GET over the keep-alive agent; counts the messages by their IDs without parsing all of it. */
function getPage(agent: http.Agent, port: number, path: string, token: string): Promise<{ status: number; count: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path, agent, headers: { authorization: token } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const count = response.statusCode === 200 ? (JSON.parse(body) as unknown[]).length : 0;
        resolve({ status: response.statusCode ?? 0, count });
      });
      response.on('error', reject);
    });
    request.setTimeout(30_000, () => request.destroy(new Error('history request timed out')));
    request.on('error', reject);
  });
}
