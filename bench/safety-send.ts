/**
 * Issue 12's send-path budget: scanning must add under 1 ms p99 to a message send, and sending
 * must wait on nothing but the in-process model. Two measurements on a real server (openParley,
 * as `npm start` composes it) on SQLite, or PostgreSQL with --postgres <url>:
 *
 * 1. What the safety policy adds to each send, timed alone: `requireNotBlocked` (one indexed
 *    query) + `scan` (the instance settings, the cached "includes a minor" fact, the model), for
 *    a DM with a minor (scanned under the default policy) — the exact calls send.ts makes.
 * 2. Whole sends through the HTTP API, interleaved: a DM with a minor (scanned) and a DM between
 *    adults (not scanned under `minors`), so the p50/p99 difference is the scan's share as a
 *    client sees it.
 *
 * The texts are the classifier's data set filtered to what it does not flag (a flag writes a
 * report and may block the sender: the common send is an ordinary message).
 *
 *   npx tsx bench/safety-send.ts [--sends 2000] [--postgres postgres://postgres@127.0.0.1:5432/test] [--control]
 *
 * --control turns scanning off for the whole sends: what still differs between the two DMs is noise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { type Snowflake, routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import { parseConfig } from '../packages/server/src/config';
import { MemoryEventLog } from '../packages/server/src/bus/memory-log';
import { EventPublisher } from '../packages/server/src/events/publisher';
import { systemClock } from '../packages/server/src/core/clock';
import { SnowflakeGenerator } from '../packages/server/src/core/snowflake';
import { InstanceSettingsStore } from '../packages/server/src/features/instance/settings';
import { readJsonl } from '../packages/server/src/features/safety/classifier/dataset';
import { flaggedLabels, loadSafetyClassifier } from '../packages/server/src/features/safety/classifier/index';
import { DATA_DIR } from '../packages/server/src/features/safety/classifier/paths';
import { SafetyPolicy } from '../packages/server/src/features/safety/policy';
import { openParley } from '../packages/server/src/parley';
import { printTable, printTargets, type ScenarioReport, target, writeReport } from './lib/report';
import { Samples } from './lib/stats';
import { machineInfo } from './lib/system';

const { values } = parseArgs({ options: { sends: { type: 'string', default: '2000' }, postgres: { type: 'string' }, control: { type: 'boolean', default: false } } });
const sends = Number(values.sends);
const startedAt = new Date();

const classifier = loadSafetyClassifier();
const texts = [...readJsonl(path.join(DATA_DIR, 'train.jsonl')), ...readJsonl(path.join(DATA_DIR, 'test.jsonl'))]
  .map((e) => e.text)
  .filter((t) => flaggedLabels(classifier.score(t), 0.5).length === 0);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-safety-bench-'));
const schema = `bench_safety_${process.pid}`;
const config = parseConfig({
  DATA_DIR: dataDir,
  LOG_LEVEL: 'silent',
  MESSAGE_RATE_LIMIT: '1000000/1',
  AUTH_RATE_LIMIT_IP: '10000/60',
  ...(values.postgres && { DATABASE_URL: values.postgres, DATABASE_SCHEMA: schema }),
});
const { app, database } = await openParley(config);
await app.listen({ port: 0, host: '127.0.0.1' });
const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

async function person(name: string) {
  const { token, user_id } = await new RestClient({ baseUrl, token: null }).request(routes.auth.register, { body: { username: `${name}_${process.pid}`, password: 'correct horse battery' } });
  return { client: new RestClient({ baseUrl, token }), id: user_id as Snowflake };
}
const [sender, minor, adult] = [await person('sender'), await person('minor'), await person('adult')];
await database.db.updateTable('users').set({ minor: 1 }).where('id', '=', minor.id).execute();
// --control: scanning off for the whole-send comparison, to see what differs between the two DMs but the scan.
if (values.control)
  await database.db
    .insertInto('instance_settings')
    .values({ key: 'safety_scan', value: JSON.stringify('none') })
    .execute();
const scannedDm = await sender.client.request(routes.channels.openDm, { body: { recipient_id: minor.id } });
const plainDm = await sender.client.request(routes.channels.openDm, { body: { recipient_id: adult.id } });

// 1. The policy's own calls, as send.ts makes them, on the same database.
const benchLog = new MemoryEventLog(systemClock, { windowMs: 60_000, maxEntries: 1000 });
const policy = new SafetyPolicy(
  {
    db: database.db,
    settings: new InstanceSettingsStore(database.db),
    ids: new SnowflakeGenerator(systemClock, 1),
    clock: systemClock,
    log: benchLog,
    events: new EventPublisher(benchLog),
  },
  classifier,
);
const channel = await database.db.selectFrom('channels').selectAll().where('id', '=', scannedDm.id).executeTakeFirstOrThrow();
const added = new Samples();
const blockCheck = new Samples();
const scanOnly = new Samples();
/** CPU time (user + system) of the same calls: on a shared, oversubscribed machine wall time also counts waiting for a CPU. */
const addedCpu = new Samples();
for (let i = 0; i < sends + 200; i++) {
  const text = texts[i % texts.length]!;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await policy.requireNotBlocked(sender.id, channel);
  const t1 = process.hrtime.bigint();
  const flag = await policy.scan(channel, sender.id, text);
  const t2 = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpu0);
  if (flag) throw new Error(`unexpected flag: ${text}`);
  if (i < 200) continue;
  added.add(Number(t2 - t0) / 1000);
  blockCheck.add(Number(t1 - t0) / 1000);
  scanOnly.add(Number(t2 - t1) / 1000);
  addedCpu.add(cpu.user + cpu.system);
}

// 2. Whole sends over HTTP, alternating between the scanned and the unscanned DM.
const scanned = new Samples();
const unscanned = new Samples();
for (let i = 0; i < sends + 100; i++) {
  const text = texts[(i * 7) % texts.length]!;
  for (const [channelId, samples] of i % 2
    ? ([
        [scannedDm.id, scanned],
        [plainDm.id, unscanned],
      ] as const)
    : ([
        [plainDm.id, unscanned],
        [scannedDm.id, scanned],
      ] as const)) {
    const t0 = process.hrtime.bigint();
    const sent = await sender.client.request(routes.messages.create, { params: { channel_id: channelId }, body: { content: text } });
    const micros = Number(process.hrtime.bigint() - t0) / 1000;
    if (sent.safety_flag) throw new Error(`unexpected flag: ${text}`);
    if (i >= 100) samples.add(micros);
  }
}
await app.close();
fs.rmSync(dataDir, { recursive: true, force: true });
if (values.postgres) {
  const client = new pg.Client({ connectionString: values.postgres });
  await client.connect();
  await client.query(`drop schema if exists ${schema} cascade`);
  await client.end();
}

const addedSummary = added.summary();
const scannedSummary = scanned.summary();
const unscannedSummary = unscanned.summary();
const engine = values.postgres ? 'postgres' : 'sqlite';
printTable(`Safety policy on the send path (${engine}), µs`, [
  { measured: 'policy calls alone (block check + scan)', ...addedSummary },
  { measured: '  of which the block check (cached)', ...blockCheck.summary() },
  { measured: '  of which the scan (settings, fact, model)', ...scanOnly.summary() },
  { measured: 'policy calls alone, CPU time', ...addedCpu.summary() },
  { measured: 'HTTP send, DM with a minor (scanned)', ...scannedSummary },
  { measured: 'HTTP send, DM between adults (not scanned)', ...unscannedSummary },
]);
const targets = [
  target('block check + scan p99 per send', '< 1000 µs', addedSummary.p99, 'µs', (v) => v < 1000),
  target('block check + scan CPU time p99 per send', '< 1000 µs', addedCpu.summary().p99, 'µs', (v) => v < 1000),
];
printTargets(targets);
console.log(
  `\nWhole sends: scanned minus unscanned p50 ${Math.round(scannedSummary.p50 - unscannedSummary.p50)} µs, p99 ${Math.round(scannedSummary.p99 - unscannedSummary.p99)} µs (load average ${os.loadavg()[0]!.toFixed(1)})`,
);
const report: ScenarioReport = {
  scenario: 'safety-send',
  startedAt: startedAt.toISOString(),
  durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
  machine: machineInfo(),
  server: { engine, nodes: 1, redis: false, target: 'openParley in process, HTTP on 127.0.0.1' },
  params: { sends, texts: texts.length },
  results: {
    policyMicros: addedSummary,
    blockCheckMicros: blockCheck.summary(),
    scanMicros: scanOnly.summary(),
    policyCpuMicros: addedCpu.summary(),
    loadAverage: os.loadavg(),
    scannedSendMicros: scannedSummary,
    unscannedSendMicros: unscannedSummary,
  },
  targets,
  notes: [
    'Sends alternate between the two DMs so drift on a shared machine hits both equally.',
    `Whole HTTP sends are informational: p50 difference ${Math.round(scannedSummary.p50 - unscannedSummary.p50)} µs, p99 difference ${Math.round(scannedSummary.p99 - unscannedSummary.p99)} µs (at load average ${os.loadavg()[0]!.toFixed(1)}, their tails are the machine's).`,
  ],
};
console.log(`\nresults: ${writeReport(report)}`);
process.exitCode = targets.every((t) => t.pass !== false) ? 0 : 1;
