import fs from 'node:fs';
import WebSocket from 'ws';
import type { BenchOptions } from '../lib/options';
import { Deployment } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { createGuests, createGuild } from '../lib/setup';
import { monoMicros } from '../lib/stats';
import { cpuMillisOf, delay, machineInfo, waitFor } from '../lib/system';

/** Every phase is bounded: READY for all within this, then the presence chatter quiet within QUIET_MAX_MS. */
const READY_TIMEOUT_MS = 120_000;
const QUIET_MAX_MS = 120_000;
/** Quiet means no dispatch at all for this long. */
const QUIET_MS = 2000;

/** The machine's load averages (1, 5, 15 min), what `uptime` prints: others' work shares the CPUs. */
function loadAverage(): string {
  return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/**
 * Issue 17's join storm: --members people of one server identify at the same moment. Measures
 * the time until every one has READY, the dispatch frames each kind they receive until the
 * presence chatter is over (PRESENCE_UPDATE, GUILD_PRESENCES, …), and the server's CPU. With
 * --subscribe-online N each asks, once READY, for the first N online members (op 14), as the
 * web client's member list does; 0 sends nothing (what a server from before issue 17 knows).
 */
export async function stormScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.storm;
  const startedAt = new Date();
  const notes: string[] = [];
  const deployment = new Deployment(options.deployment);
  const sockets: WebSocket[] = [];
  try {
    const [node] = await deployment.start();
    progress(`creating ${o.members} guests in one server`);
    const users = await createGuests(node!.baseUrl, o.members);
    const guild = await createGuild(node!.baseUrl, users[0]!, users.slice(1), 'storm');
    const frames = new Map<string, number>();
    let lastFrameAt = performance.now();
    let ready = 0;
    let lastReadyAt = 0;
    const closes = new Map<number, number>();
    const loadBefore = loadAverage();
    const cpuBefore = cpuMillisOf(node!.pid);
    const stormStart = performance.now();
    const window = { fromMicros: monoMicros(), toMicros: 0 };
    progress(`${o.members} identifying at once (load ${loadBefore})`);
    for (const user of users) {
      const ws = new WebSocket(node!.gatewayUrl, { perMessageDeflate: false });
      sockets.push(ws);
      let identified = false;
      ws.on('error', () => undefined);
      ws.on('close', (code) => closes.set(code, (closes.get(code) ?? 0) + 1));
      ws.on('message', (data: Buffer) => {
        const head = data.toString('latin1', 0, 48);
        if (!identified && head.startsWith('{"op":10,')) {
          identified = true;
          ws.send(JSON.stringify({ op: 2, d: { token: user.token, properties: { os: 'linux', browser: 'parley-bench', device: 'parley-bench' } } }));
          return;
        }
        const name = /^\{"op":0,"t":"(\w+)"/.exec(head)?.[1];
        if (!name) return;
        lastFrameAt = performance.now();
        frames.set(name, (frames.get(name) ?? 0) + 1);
        if (name === 'READY') {
          ready++;
          lastReadyAt = performance.now();
          if (o.subscribeOnline > 0) ws.send(JSON.stringify({ op: 14, d: { guild_id: guild.guildId, online: o.subscribeOnline } }));
        }
      });
    }
    const allReady = await waitFor(() => ready === o.members, READY_TIMEOUT_MS, 10);
    const readySeconds = ((allReady ? lastReadyAt : performance.now()) - stormStart) / 1000;
    const cpuAtReady = cpuMillisOf(node!.pid);
    window.toMicros = monoMicros();
    if (options.deployment.cpuProfDir) console.log(`profile of the storm: npx tsx bench/profile-top.ts ${options.deployment.cpuProfDir}/<file> --from ${window.fromMicros} --to ${window.toMicros}`);
    const loadAtReady = loadAverage();
    progress(`${ready} READY in ${readySeconds.toFixed(2)} s; waiting for the presence chatter to end`);
    await waitFor(() => performance.now() - lastFrameAt > QUIET_MS, QUIET_MAX_MS, 100);
    const cpuAtQuiet = cpuMillisOf(node!.pid);
    const presenceFrames = (frames.get('PRESENCE_UPDATE') ?? 0) + (frames.get('GUILD_PRESENCES') ?? 0);
    if (closes.size) notes.push(`closed during the storm: ${JSON.stringify(Object.fromEntries(closes))}`);
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);
    const results = {
      members: o.members,
      ready,
      readySeconds: Math.round(readySeconds * 100) / 100,
      frames: Object.fromEntries([...frames].sort()),
      presenceFrames,
      presenceFramesPerMember: Math.round((presenceFrames / o.members) * 10) / 10,
      serverCpuSeconds: { untilAllReady: (cpuAtReady - cpuBefore) / 1000, untilQuiet: (cpuAtQuiet - cpuBefore) / 1000 },
      loadAverage: { before: loadBefore, atAllReady: loadAtReady },
      window,
    };
    printTable('Join storm', [
      {
        members: o.members,
        'all READY s': results.readySeconds,
        'presence frames': presenceFrames,
        'per member': results.presenceFramesPerMember,
        'server CPU s (to READY)': results.serverCpuSeconds.untilAllReady,
        'server CPU s (to quiet)': results.serverCpuSeconds.untilQuiet,
        load: loadBefore,
      },
    ]);
    return {
      scenario: 'storm',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: options.deployment.nodes, redis: options.deployment.redis, target: 'parley' },
      params: { ...o },
      results,
      targets: [
        target(`${o.members.toLocaleString('en-US')} members identifying at once, all READY`, '< 5 s', results.readySeconds, 's', (v) => v < 5 && ready === o.members),
        // Linear: a bounded number of presence frames per member, whatever the server's size.
        target('presence frames per member', '≤ 20', results.presenceFramesPerMember, 'frames', (v) => v <= 20),
      ],
      notes,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await delay(100);
    await deployment.dispose();
  }
}
