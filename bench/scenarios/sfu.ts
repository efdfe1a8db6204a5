import { execSync } from 'node:child_process';
import fs from 'node:fs';
import { type Browser, type BrowserServer, type Page, chromium } from '@playwright/test';
import { ChannelType, routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import callJourneys from '../../playwright.calls.config';
import { chromiumProcessKind } from '../lib/chromium';
import type { BenchOptions } from '../lib/options';
import { Deployment } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { type BenchUser, createGuests, createGuild } from '../lib/setup';
import { round } from '../lib/stats';
import { commandLineOf, delay, machineInfo } from '../lib/system';
import { sampleTreesCpu } from '../lib/tree-cpu';

/**
 * libnice (Janus's ICE) ignores loopback: a veth pair in the bench's own network namespace, as
 * playwright.calls.config.ts makes for the SFU journeys (the same names and addresses).
 */
const VETH = { name: 'parley-sfu0', peer: 'parley-sfu1', address: '10.213.0.1', peerAddress: '10.213.0.2' };
const VOICE_CHANNEL = 'Big call';
const UI_TIMEOUT_MS = 60_000;
/** Bound of the wait for everyone to be on the SFU and hear everyone (not measured). */
const FLOWING_TIMEOUT_MS = 180_000;

/** One participant: a browser context (its own profile, like a person) in one of the shared Chromiums. */
interface Member {
  index: number;
  user: BenchUser;
  browser: number;
  page: Page;
}

/** What the web client's debug API reports (the fields read here). */
interface SlotStats {
  bytesReceived: number;
  packetsReceived: number;
  framesDecoded: number;
  frameWidth: number | null;
  frameHeight: number | null;
  bytesSent: number;
  sentFrameWidth: number | null;
  sentFrameHeight: number | null;
}
interface Stats {
  media: 'mesh' | 'sfu';
  peers: { userId: string; connectionState: string; slots: Record<'audio' | 'camera' | 'screen', SlotStats> }[];
  e2ee: { sent: { encrypted: number; failed: number } } | null;
}

/** One read of a member's call, and when (ms, the bench's clock). */
interface Snapshot {
  at: number;
  stats: Stats | null;
}

/** A member over a window, bytes/s: what it received (audio and video apart) and sent; whom it heard. */
interface Flow {
  member: number;
  audioIn: number;
  videoIn: number;
  out: number;
  /** Others whose audio packets grew over the window. */
  heard: number;
  /** The largest video frame decoded at the end of the window (e.g. "1280x720"). */
  videoSize: string | null;
}

interface MeasuredWindow {
  label: string;
  seconds: number;
  flows: Flow[];
  /** % of one core over the window. */
  browserCpu: number[];
  serverCpu: number;
  janusCpu: number | null;
  machineBusyPercent: number;
  loadAverage: number[];
}

/**
 * Big calls through Janus (issue 16): the server with a small CALL_MESH_MAX, so the call moves to
 * the SFU, and many participants as browser contexts spread over a few Chromium processes (one
 * per person does not fit two cores). Default mode: `--people` people talking (fake microphone),
 * the first sharing its screen at 720p, E2EE on; then one of them again with "receive video" off.
 * `--lecture`: one host talking and sharing, `--listeners` muted listeners.
 */
export async function sfuScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.sfu;
  const startedAt = new Date();
  const notes: string[] = [];
  vethUp();
  const size = o.lecture ? o.listeners + 1 : o.people;
  const deployment = new Deployment({
    ...options.deployment,
    nodes: 1,
    web: true,
    env: {
      CALL_MESH_MAX: String(o.meshMax),
      CALL_MAX_PARTICIPANTS: String(Math.min(200, size + 2)),
      JANUS_ICE_INTERFACES: VETH.address,
      // Below the ephemeral range (32768+), where the Chromiums' own sockets would collide.
      JANUS_RTP_PORTS: '21000-22999',
      ...options.deployment.env,
    },
  });
  const browsers: { server: BrowserServer; browser: Browser; pid: number }[] = [];
  try {
    const [node] = await deployment.start();
    const baseUrl = node!.baseUrl;
    progress(`creating ${size} guests, a server with a voice channel`);
    const users = await createGuests(baseUrl, size);
    const guild = await createGuild(baseUrl, users[0]!, users.slice(1), 'SFU bench');
    const owner = new RestClient({ baseUrl, token: users[0]!.token });
    await owner.request(routes.channels.create, { params: { guild_id: guild.guildId }, body: { name: VOICE_CHANNEL, type: ChannelType.GUILD_VOICE } });
    const channelPath = `/channels/${guild.guildId}/${guild.channelId}`;

    const launchOptions = callJourneys.use?.launchOptions ?? {};
    const browserCount = Math.min(o.browsers, size);
    for (let b = 0; b < browserCount; b++) {
      progress(`launching Chromium ${b + 1} of ${browserCount}`);
      const server = await chromium.launchServer({ ...launchOptions, headless: true });
      browsers.push({ server, browser: await chromium.connect(server.wsEndpoint()), pid: server.process().pid! });
    }
    // The sharer (or the host) alone in the first browser when there are several: its encoder is not starved by listeners' decoders in the same process.
    const browserOf = (i: number) => (browserCount === 1 ? 0 : i === 0 ? 0 : 1 + ((i - 1) % (browserCount - 1)));
    const members: Member[] = [];
    for (const [index, user] of users.entries()) {
      const context = await browsers[browserOf(index)]!.browser.newContext({ baseURL: baseUrl });
      const page = await context.newPage();
      await page.goto('/', { waitUntil: 'domcontentloaded', timeout: UI_TIMEOUT_MS });
      await page.evaluate(
        ([token, voice]) => {
          localStorage.setItem('parley.token', token);
          localStorage.setItem('parley.voice', JSON.stringify(voice));
        },
        [user.token, { endToEndEncryption: o.e2ee, shareResolution: '720p', shareFrameRate: 15 }] as const,
      );
      members.push({ index, user, browser: browserOf(index), page });
    }

    const join = async (m: Member) => {
      await m.page.goto(channelPath, { waitUntil: 'domcontentloaded', timeout: UI_TIMEOUT_MS });
      await m.page.getByTestId('voice-channel-link').filter({ hasText: VOICE_CHANNEL }).click({ timeout: UI_TIMEOUT_MS });
      await m.page.getByTestId('call-status').filter({ hasText: 'Voice connected' }).waitFor({ timeout: UI_TIMEOUT_MS });
    };
    for (const m of members) {
      progress(`joining ${m.index + 1} of ${size}`);
      await join(m);
      if (o.lecture && m.index > 0) await m.page.getByTestId('toggle-mute').click({ timeout: UI_TIMEOUT_MS });
    }
    const sharer = members[0]!;
    const sharing = await startShare(sharer.page);
    notes.push(
      sharing === 'screen'
        ? 'participant 1 shares a fake screen (getDisplayMedia with --use-fake-ui-for-media-stream, share resolution 720p, 15 fps)'
        : 'participant 1 could not share a screen headless: its camera is on instead (fake device, asked for 1280x720)',
    );
    const speakers = o.lecture ? [sharer] : members;
    await everyoneFlowing(members, speakers, notes);

    const roots = () => {
      const janus = janusPid(deployment.dataDir);
      if (janus === null) notes.push('no Janus process found under the run’s DATA_DIR');
      return { janus, pids: [...browsers.map((b) => b.pid), node!.pid, ...(janus === null ? [] : [janus])] };
    };
    const measure = async (label: string): Promise<MeasuredWindow> => {
      await delay(o.settleSeconds * 1000);
      progress(`measuring: ${label}, ${o.seconds} s`);
      const { janus, pids } = roots();
      const before = await snapshots(members);
      const cpu = await sampleTreesCpu(pids, o.seconds, chromiumProcessKind);
      const after = await snapshots(members);
      const serverTree = cpu.trees[browsers.length]!.meanPercent;
      const janusTree = janus === null ? null : cpu.trees[browsers.length + 1]!.meanPercent;
      const measured: MeasuredWindow = {
        label,
        seconds: cpu.seconds,
        flows: members.map((m, i) => flow(m, before[i]!, after[i]!, members)),
        browserCpu: cpu.trees.slice(0, browsers.length).map((t) => t.meanPercent),
        // Janus is the server's child: the server's own share is its tree less Janus's.
        serverCpu: round(serverTree - (janusTree ?? 0), 1),
        janusCpu: janusTree,
        machineBusyPercent: cpu.machineBusyPercent,
        loadAverage: machineInfo().loadAverage,
      };
      // Printed at once: a run cut short by an outer bound still shows the windows it measured.
      printWindows([measured], o.lecture);
      return measured;
    };

    const windows: MeasuredWindow[] = [await measure(o.lecture ? `lecture: 1 host sharing (${sharing}), ${o.listeners} listeners` : `${size} people talking, 1 sharing (${sharing})`)];
    // Muted listeners send nothing to encrypt: the speakers' clients tell.
    const e2eeInEffect = (await snapshots(speakers)).every((s) => (s.stats?.e2ee?.sent.encrypted ?? 0) > 0);
    if (o.e2ee && !e2eeInEffect) notes.push('E2EE was asked for but not every client encrypted');

    // Part 3: one participant (not the sharer) again, with "receive others' video" off.
    let audioOnly: { member: number; default: Flow; audioOnly: Flow } | null = null;
    if (!o.lecture && size > 2) {
      const probe = members[1]!;
      progress(`participant 2 rejoins with receiveVideo: false`);
      await probe.page.getByTestId('panel-leave').click({ timeout: UI_TIMEOUT_MS });
      await probe.page.evaluate(() => {
        const stored = JSON.parse(localStorage.getItem('parley.voice') ?? '{}') as Record<string, unknown>;
        localStorage.setItem('parley.voice', JSON.stringify({ ...stored, receiveVideo: false }));
      });
      await join(probe);
      await everyoneFlowing([probe], speakers, notes);
      const w = await measure('participant 2 with receiveVideo: false');
      windows.push(w);
      audioOnly = { member: 2, default: windows[0]!.flows[1]!, audioOnly: w.flows[1]! };
    }
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-1500)}`);

    if (audioOnly)
      printTable('One participant, default vs receiveVideo: false (bytes/s received)', [
        { setting: 'default', audio: audioOnly.default.audioIn, video: audioOnly.default.videoIn },
        { setting: 'receiveVideo: false', audio: audioOnly.audioOnly.audioIn, video: audioOnly.audioOnly.videoIn },
      ]);
    const main = windows[0]!;
    const hearingAll = main.flows.filter((f) => f.heard >= (o.lecture ? (f.member === 1 ? 0 : 1) : size - 1)).length;
    return {
      // The lecture writes its own latest file (latest-sfu-lecture-<engine>.json) beside the talking call's.
      scenario: o.lecture ? 'sfu-lecture' : 'sfu',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: 1, redis: options.deployment.redis, target: `parley + janus + ${size} contexts in ${browsers.length} chromium` },
      params: { ...o, sharing, browsersUsed: browsers.length },
      results: { e2eeInEffect, windows, audioOnly },
      targets: [
        target(o.lecture ? 'listeners who hear the host' : 'participants who hear everyone else (audio packets growing)', `all ${size}`, hearingAll, 'participants', (v) => v === size),
        ...(audioOnly ? [target('receiveVideo: false receives no video', '< 1000', audioOnly.audioOnly.videoIn, 'B/s', (v) => v < 1000)] : []),
      ],
      notes,
    };
  } finally {
    for (const b of browsers) {
      await b.browser.close().catch(() => undefined);
      await b.server.close().catch(() => undefined);
    }
    await deployment.dispose();
  }
}

/** Creates the veth pair Janus gathers on, unless it is there (needs root in the bench's network namespace). */
function vethUp(): void {
  execSync(
    [
      `ip link show ${VETH.name} >/dev/null 2>&1 || (ip link add ${VETH.name} type veth peer name ${VETH.peer}`,
      `ip addr add ${VETH.address}/24 dev ${VETH.name} && ip addr add ${VETH.peerAddress}/24 dev ${VETH.peer}`,
      `ip link set ${VETH.name} up && ip link set ${VETH.peer} up)`,
    ].join(' && '),
    { stdio: 'inherit' },
  );
}

/** The Janus the server started: the process whose --configs-folder is under the run's DATA_DIR. */
function janusPid(dataDir: string): number | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const args = commandLineOf(Number(entry));
    const at = args.indexOf('--configs-folder');
    if (at >= 0 && args[at + 1]?.startsWith(dataDir)) return Number(entry);
  }
  return null;
}

/**
 * Shares a screen from the call controls (share menu → "Share screen or window"); falls back to
 * the camera when no screen frames go out within 15 s (getDisplayMedia refused headless).
 */
async function startShare(page: Page): Promise<'screen' | 'camera'> {
  try {
    await page.getByTestId('share-menu').click({ timeout: 10_000 });
    await page.getByTestId('start-share').click({ timeout: 10_000 });
    for (let i = 0; i < 30; i++) {
      const stats = await readStats(page);
      if ((stats?.peers[0]?.slots.screen.bytesSent ?? 0) > 0) return 'screen';
      await delay(500);
    }
  } catch {
    // No menu, or no screen to share: the camera below.
  }
  await page.keyboard.press('Escape').catch(() => undefined);
  await page.getByTestId('toggle-video').click({ timeout: UI_TIMEOUT_MS });
  return 'camera';
}

function readStats(page: Page): Promise<Stats | null> {
  return page.evaluate(() => (window as unknown as { parleyCall?: { stats(): Promise<Stats | null> } }).parleyCall?.stats() ?? null);
}

async function snapshots(members: readonly Member[]): Promise<Snapshot[]> {
  return Promise.all(members.map(async (m) => ({ at: Date.now(), stats: await readStats(m.page).catch(() => null) })));
}

/** Waits (bounded) until everyone is on the SFU and gets audio from every speaker but themselves. */
async function everyoneFlowing(members: readonly Member[], speakers: readonly Member[], notes: string[]): Promise<void> {
  progress('waiting for everyone on the SFU, hearing the speakers');
  const deadline = Date.now() + FLOWING_TIMEOUT_MS;
  let missing: string[] = [];
  while (Date.now() < deadline) {
    missing = [];
    for (const m of members) {
      const stats = await readStats(m.page).catch(() => null);
      const heard = speakers.filter((s) => s !== m).filter((s) => (stats?.peers.find((p) => p.userId === s.user.id)?.slots.audio.packetsReceived ?? 0) > 20);
      if (stats?.media !== 'sfu' || heard.length < speakers.filter((s) => s !== m).length) missing.push(`${m.index + 1} (${stats?.media ?? 'no call'}, hears ${heard.length})`);
    }
    if (missing.length === 0) return;
    await delay(2000);
  }
  notes.push(`after ${FLOWING_TIMEOUT_MS / 1000} s not everyone was on the SFU hearing every speaker: ${missing.slice(0, 20).join(', ')}`);
}

function flow(m: Member, before: Snapshot, after: Snapshot, members: readonly Member[]): Flow {
  const seconds = Math.max(0.001, (after.at - before.at) / 1000);
  const sum = (s: Snapshot, pick: (slots: Record<'audio' | 'camera' | 'screen', SlotStats>) => number) => (s.stats?.peers ?? []).reduce((n, p) => n + pick(p.slots), 0);
  const audio = (s: Snapshot) => sum(s, (slots) => slots.audio.bytesReceived);
  const video = (s: Snapshot) => sum(s, (slots) => slots.camera.bytesReceived + slots.screen.bytesReceived);
  // Through the SFU every peer's entry reports the same senders (one publisher): count them once.
  const sent = (s: Snapshot) => {
    const peers = s.stats?.peers ?? [];
    const first = peers[0]?.slots;
    if (!first) return 0;
    const publisher = first.audio.bytesSent + first.camera.bytesSent + first.screen.bytesSent;
    return s.stats?.media === 'sfu' ? publisher : peers.reduce((n, p) => n + p.slots.audio.bytesSent + p.slots.camera.bytesSent + p.slots.screen.bytesSent, 0);
  };
  const packets = (s: Snapshot, id: string) => s.stats?.peers.find((p) => p.userId === id)?.slots.audio.packetsReceived ?? 0;
  const heard = members.filter((o) => o !== m && packets(after, o.user.id) > packets(before, o.user.id)).length;
  const sizes = (after.stats?.peers ?? []).flatMap((p) => [p.slots.camera, p.slots.screen]).filter((s) => s.frameWidth && s.frameHeight);
  const largest = sizes.sort((a, b) => b.frameWidth! * b.frameHeight! - a.frameWidth! * a.frameHeight!)[0];
  return {
    member: m.index + 1,
    audioIn: Math.round((audio(after) - audio(before)) / seconds),
    videoIn: Math.round((video(after) - video(before)) / seconds),
    out: Math.round((sent(after) - sent(before)) / seconds),
    heard,
    videoSize: largest ? `${largest.frameWidth}x${largest.frameHeight}` : null,
  };
}

function printWindows(windows: readonly MeasuredWindow[], lecture: boolean): void {
  for (const w of windows) {
    const others = w.flows.slice(1);
    const mean = (pick: (f: Flow) => number) => round(others.reduce((n, f) => n + pick(f), 0) / Math.max(1, others.length), 0);
    printTable(`${w.label}: ${w.seconds} s, machine ${w.machineBusyPercent}% busy, load ${w.loadAverage.join(' ')}`, [
      {
        [lecture ? 'host out B/s' : 'sharer out B/s']: w.flows[0]!.out,
        [lecture ? 'listener in, audio B/s' : 'others in, audio B/s (mean)']: mean((f) => f.audioIn),
        'video B/s (mean)': mean((f) => f.videoIn),
        'out B/s (mean)': mean((f) => f.out),
        'heard (min)': Math.min(...others.map((f) => f.heard)),
        'server %': w.serverCpu,
        'janus %': w.janusCpu,
        'chromium %': w.browserCpu.join(' / '),
      },
    ]);
    printTable(
      'Per participant (bytes/s)',
      w.flows.map((f) => ({ ...f })),
    );
  }
}
