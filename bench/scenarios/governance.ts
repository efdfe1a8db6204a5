import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import { FanoutBench, type FanoutTarget, fanoutOptions, stepRow } from '../lib/fanout';
import { addChannels, type Governance, governGuild, timeReady } from '../lib/governance';
import type { BenchOptions } from '../lib/options';
import { Deployment, type ParleyNode } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { type BenchGuild, type BenchUser, createGuests, createGuild } from '../lib/setup';
import { Samples, monoMicros, round } from '../lib/stats';
import { delay, machineCpuTicks, machineInfo } from '../lib/system';
import { Sweep } from './baseline';

/** Issue 10: governance may cost at most 10 % of delivered events/s and of READY time. */
const TOLERANCE = 0.1;

/** A guild under load: its label, members, senders and channel. */
interface Side {
  label: 'plain' | 'governance' | 'plain, before';
  node: ParleyNode;
  guild: BenchGuild;
  governance: Governance | null;
  target: FanoutTarget;
  bench: FanoutBench | null;
  ready: Samples;
  readyBytes: Samples;
  readyMachineBusy: number[];
}

function fanoutTarget(baseUrl: string, gatewayUrl: string, pid: number, guild: BenchGuild, senders: number, label: string): FanoutTarget {
  const clients = guild.members.slice(0, Math.min(senders, guild.members.length)).map((u) => new RestClient({ baseUrl, token: u.token }));
  return {
    label,
    pids: [pid],
    gatewayUrl: () => gatewayUrl,
    receiverTokens: guild.members.map((m) => m.token),
    send: async (sender, content, nonce) => {
      await clients[sender % clients.length]!.request(routes.messages.create, { params: { channel_id: guild.channelId }, body: { content, nonce } });
    },
  };
}

/** The server's running count of SQL statements (written by lib/sql-counter.cjs every 100 ms). */
function readCount(file: string): number {
  try {
    return Number(fs.readFileSync(file, 'utf8')) || 0;
  } catch {
    return 0;
  }
}

/**
 * SQL statements the server runs per message sent in a guild's talk channel: `sends` sends one
 * after the other, the counter read before and after (with the idle rate over the same time
 * subtracted: heartbeats and sessions).
 */
async function statementsPerSend(file: string, baseUrl: string, guild: BenchGuild, sends: number): Promise<{ perSend: number; idlePerSecond: number }> {
  const rest = new RestClient({ baseUrl, token: guild.members[1 % guild.members.length]!.token });
  await delay(300);
  const idleFrom = readCount(file);
  await delay(1000);
  const idlePerSecond = readCount(file) - idleFrom;
  const before = readCount(file);
  const started = performance.now();
  for (let i = 0; i < sends; i++) await rest.request(routes.messages.create, { params: { channel_id: guild.channelId }, body: { content: `count ${i}` } });
  await delay(300);
  const seconds = (performance.now() - started) / 1000;
  return { perSend: round((readCount(file) - before - idlePerSecond * seconds) / sends, 1), idlePerSecond };
}

/**
 * Issue 10's measure. Two guilds of M members side by side on one server, each with the same
 * 50 extra text channels: **plain** (no roles, no overwrites: today's setup, its channel's events
 * go to `{guilds: [id]}`) and **governance** (20 roles, each member holding 1–3, overwrites on
 * all 50 channels, some hidden from some roles, and overwrites on the talk channel, one denying View Channel to a role
 * nobody holds: its events go to `{users: [...]}`, computed per event). Measures, alternating
 * plain and governance so both see the same background load: IDENTIFY → READY for members
 * (median, p95), and delivered events/s at saturation in the talk channel (the `fanout
 * --saturate` method); SQL statements per send (1,000-member and 10-member governed guilds).
 */
export async function governanceScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.fanout;
  const g = options.governance;
  const startedAt = new Date();
  const notes: string[] = [];
  const counter = () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-sql-')), 'count');
    return {
      file,
      env: {
        NODE_OPTIONS: `--require ${path.resolve(import.meta.dirname, '../lib/sql-counter.cjs')}`,
        BENCH_SQL_COUNT_FILE: file,
        ...(process.env.BENCH_SQL_TIMINGS_FILE && { BENCH_SQL_TIMINGS_FILE: process.env.BENCH_SQL_TIMINGS_FILE }),
      },
    };
  };
  const countFile = counter();
  const deployment = new Deployment({ ...options.deployment, env: { ...options.deployment.env, ...countFile.env } });
  const deployments = [deployment];
  // --compare-root: the plain setup again, on a server built from another checkout (before issue 10).
  const beforeCount = g.compareRoot ? counter() : null;
  const before = g.compareRoot ? new Deployment({ ...options.deployment, serverRoot: g.compareRoot, env: { ...options.deployment.env, ...beforeCount!.env } }) : null;
  if (before) deployments.push(before);
  const sides: Side[] = [];
  try {
    const [node] = await deployment.start();
    const { baseUrl } = node!;
    progress(`creating ${2 * o.members + 10} guests`);
    const users = await createGuests(baseUrl, 2 * o.members + 10);
    const addSide = async (label: Side['label'], at: ParleyNode, owner: BenchUser, joiners: readonly BenchUser[]) => {
      progress(`${label}: guild of ${o.members}, ${g.channels} extra channels`);
      const guild = await createGuild(at.baseUrl, owner, joiners, label);
      const channelIds = await addChannels(at.baseUrl, guild, g.channels);
      let governance: Governance | null = null;
      if (label === 'governance') {
        progress(`governance: ${g.roles} roles, member roles, overwrites`);
        governance = await governGuild(at.baseUrl, guild, channelIds, g.roles);
      }
      const target = fanoutTarget(at.baseUrl, at.gatewayUrl, at.pid, guild, o.senders, label);
      sides.push({ label, node: at, guild, governance, target, bench: null, ready: new Samples(), readyBytes: new Samples(), readyMachineBusy: [] });
    };
    await addSide('plain', node!, users[0]!, users.slice(1, o.members));
    await addSide('governance', node!, users[o.members]!, users.slice(o.members + 1, 2 * o.members));
    if (before) {
      const [old] = await before.start();
      progress(`creating ${o.members} guests on the server from ${g.compareRoot}`);
      const oldUsers = await createGuests(old!.baseUrl, o.members);
      await addSide('plain, before', old!, oldUsers[0]!, oldUsers.slice(1));
    }
    // A small governed guild: statements per send must not grow with the members.
    const small = await createGuild(baseUrl, users[2 * o.members]!, users.slice(2 * o.members + 1), 'small');
    const smallChannels = await addChannels(baseUrl, small, Math.min(5, g.channels));
    await governGuild(baseUrl, small, smallChannels, g.roles);

    progress('SQL statements per send');
    const statements = {
      plain: await statementsPerSend(countFile.file, baseUrl, sides[0]!.guild, g.sqlSends),
      governance: await statementsPerSend(countFile.file, baseUrl, sides[1]!.guild, g.sqlSends),
      governanceSmall: await statementsPerSend(countFile.file, baseUrl, small, g.sqlSends),
      ...(sides[2] && { plainBefore: await statementsPerSend(beforeCount!.file, sides[2].node.baseUrl, sides[2].guild, g.sqlSends) }),
    };
    const counted = statements.plain.perSend > 0;
    if (!counted) notes.push('the SQL statement counter reported nothing (preload not active?)');
    printTable('SQL statements per message send (server-wide count / sends, serial)', [
      { guild: `plain, ${o.members} members`, 'statements/send': statements.plain.perSend },
      { guild: `governance, ${o.members} members`, 'statements/send': statements.governance.perSend },
      { guild: `governance, ${small.members.length} members`, 'statements/send': statements.governanceSmall.perSend },
      ...(statements.plainBefore ? [{ guild: `plain, ${o.members} members, before`, 'statements/send': statements.plainBefore.perSend }] : []),
    ]);

    // READY first, with no other connection of these guilds open: members identify one at a time.
    const readyWindow = { fromMicros: monoMicros(), toMicros: 0 };
    for (let r = 0; r < g.readyRounds; r++) {
      progress(`READY round ${r + 1} of ${g.readyRounds}: ${g.readySamples} identifies per side, alternating`);
      for (let k = 0; k < g.readySamples; k++) {
        for (const side of sides) {
          const members = side.guild.members;
          const member = members[1 + (((r * g.readySamples + k) * 37) % (members.length - 1))]!;
          const machine = machineCpuTicks();
          const { ms, bytes } = await timeReady(side.node.gatewayUrl, member.token);
          const after = machineCpuTicks();
          side.ready.add(ms);
          side.readyBytes.add(bytes);
          side.readyMachineBusy.push(((after.busy - machine.busy) / Math.max(1, after.total - machine.total)) * 100);
        }
      }
    }
    readyWindow.toMicros = monoMicros();
    // Profiling: one more block of identifies per setup, each in a window of its own (not in the numbers above).
    const readyProfileWindows: Record<string, { fromMicros: number; toMicros: number }> = {};
    if (options.deployment.cpuProfDir) {
      console.log(`profile of the READY phase: npx tsx bench/profile-top.ts ${options.deployment.cpuProfDir}/<file> --from ${readyWindow.fromMicros} --to ${readyWindow.toMicros}`);
      for (const side of sides) {
        const window = { fromMicros: monoMicros(), toMicros: 0 };
        for (let k = 0; k < g.readySamples; k++) await timeReady(side.node.gatewayUrl, side.guild.members[1 + ((k * 37) % (side.guild.members.length - 1))]!.token);
        window.toMicros = monoMicros();
        readyProfileWindows[side.label] = window;
        console.log(`profile of ${g.readySamples} READYs, ${side.label}: --from ${window.fromMicros} --to ${window.toMicros}`);
      }
    }
    const readyRow = (s: Side) => {
      const sum = s.ready.summary();
      return { setup: s.label, identifies: sum.count, 'p50 ms': sum.p50, 'p95 ms': round(s.ready.percentile(95)), 'p99 ms': sum.p99, 'max ms': sum.max, 'READY bytes p50': s.readyBytes.summary().p50 };
    };
    printTable('IDENTIFY → READY (one at a time, alternating)', sides.map(readyRow));

    const benchOptions = fanoutOptions(options);
    for (const side of sides) {
      side.bench = new FanoutBench(side.target, benchOptions);
      progress(`${side.label}: opening ${o.members} connections`);
      const opened = await side.bench.connect();
      if (opened.failed) notes.push(`${side.label}: ${opened.failed} connections failed: ${opened.errors.join('; ')}`);
      await side.bench.settle();
    }
    const sweeps = sides.map((s) => new Sweep(s.label, s.bench!, o));
    for (let r = 1; r <= o.rounds; r++) {
      progress(`saturation round ${r} of ${o.rounds}: alternating plain and governance steps`);
      for (const sweep of sweeps) sweep.restart();
      while (sweeps.some((s) => !s.done)) for (const sweep of sweeps) if (!sweep.done) await sweep.next();
    }
    for (const side of sides) await side.bench!.close();
    printTable(
      'Saturation steps (alternating)',
      sweeps.flatMap((sweep) => sweep.steps.map((s) => stepRow(sweep.label, s))),
    );
    const [plain, governed] = sweeps as [Sweep, Sweep];
    const eventsRatio = round(governed.peak.deliveredPerSecond / plain.peak.deliveredPerSecond, 3);
    const [plainReady, governedReady] = sides.map((s) => s.ready.summary()) as [ReturnType<Samples['summary']>, ReturnType<Samples['summary']>];
    const readyRatio = round(governedReady.p50 / plainReady.p50, 3);
    const readyP95Ratio = round(sides[1]!.ready.percentile(95) / sides[0]!.ready.percentile(95), 3);
    const lost = sweeps.reduce((n, s) => n + s.steps.reduce((m, step) => m + step.lostDeliveries, 0), 0);
    const peakRow = (label: string, sweep: Sweep) => ({
      setup: label,
      'peak delivered/s': sweep.peak.deliveredPerSecond,
      'at msg/s': sweep.peak.targetRate,
      'p99 ms there': sweep.peak.delivery.p99,
      'least server ms CPU/1k': sweep.leanest,
    });
    printTable('Peak delivered events/s', [
      peakRow('plain', plain),
      peakRow('governance', governed),
      { setup: 'governance / plain', 'peak delivered/s': eventsRatio, 'at msg/s': null, 'p99 ms there': null, 'least server ms CPU/1k': round(governed.leanest / plain.leanest, 3) },
      ...(sweeps[2] ? [peakRow('plain, before', sweeps[2]), { setup: 'plain / plain before', 'peak delivered/s': round(plain.peak.deliveredPerSecond / sweeps[2].peak.deliveredPerSecond, 3) }] : []),
    ]);
    const beforeRatios = sweeps[2] ? { events: round(plain.peak.deliveredPerSecond / sweeps[2].peak.deliveredPerSecond, 3), readyP50: round(plainReady.p50 / sides[2]!.ready.summary().p50, 3) } : null;
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);
    if (lost) notes.push(`${lost} deliveries lost over all steps`);
    const sideResult = (s: Side, sweep: Sweep) => ({
      guild: { members: s.guild.members.length, extraChannels: g.channels, ...(s.governance && { ...s.governance, roleIds: undefined, channelIds: undefined, roles: s.governance.roleIds.length }) },
      ready: {
        ...s.ready.summary(),
        p95: round(s.ready.percentile(95)),
        bytesP50: s.readyBytes.summary().p50,
        machineBusyPercentMean: round(s.readyMachineBusy.reduce((a, b) => a + b, 0) / Math.max(1, s.readyMachineBusy.length), 1),
      },
      saturation: { peakDeliveredPerSecond: sweep.peak.deliveredPerSecond, peakAtRate: sweep.peak.targetRate, leastServerCpuMsPer1k: sweep.leanest, steps: sweep.steps },
    });
    return {
      scenario: 'governance',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: 1, redis: false, target: `parley (${options.deployment.engine}, 1 node)` },
      params: { ...o, ...g },
      results: {
        plain: sideResult(sides[0]!, plain),
        governance: sideResult(sides[1]!, governed),
        ...(sweeps[2] && { plainBefore: { ...sideResult(sides[2]!, sweeps[2]), serverRoot: g.compareRoot }, plainVsBefore: beforeRatios }),
        eventsRatio,
        readyP50Ratio: readyRatio,
        readyP95Ratio,
        /** When the READY timings ran (monoMicros, the clock of V8 CPU profiles: `profile-top --from/--to`). */
        readyWindow,
        ...(options.deployment.cpuProfDir && { readyProfileWindows }),
        sqlStatementsPerSend: statements,
      },
      targets: [
        target(`peak delivered events/s, governance ÷ plain (${o.members} members)`, `≥ ${1 - TOLERANCE}`, eventsRatio, '×', (v) => v >= 1 - TOLERANCE && lost === 0),
        target('READY p50, governance ÷ plain', `≤ ${1 + TOLERANCE}`, readyRatio, '×', (v) => v <= 1 + TOLERANCE),
        target(
          `SQL statements per send, governance ${o.members} members − ${small.members.length} members (none per recipient)`,
          '= 0',
          counted ? round(statements.governance.perSend - statements.governanceSmall.perSend, 1) : null,
          'statements',
          (v) => Math.abs(v) < 1,
        ),
        ...(beforeRatios
          ? [
              target('peak delivered events/s, plain now ÷ plain before (information)', '≥ 0.9', beforeRatios.events, '×', (v) => v >= 0.9),
              target('READY p50, plain now ÷ plain before (information)', '≤ 1.1', beforeRatios.readyP50, '×', (v) => v <= 1.1),
            ]
          : []),
      ],
      notes,
    };
  } finally {
    for (const side of sides) await side.bench?.close();
    for (const d of deployments) await d.dispose();
    for (const c of [countFile, beforeCount]) if (c) fs.rmSync(path.dirname(c.file), { recursive: true, force: true });
  }
}
