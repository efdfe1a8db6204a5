import { type JoinTiming, type Traffic, armJoin, callMarks, joinTiming, traffic } from '../lib/call-probe';
import { CallRoom } from '../lib/call-room';
import { chromiumProcessKind } from '../lib/chromium';
import type { BenchOptions, CallMedia } from '../lib/options';
import { Deployment, type ParleyNode } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { Samples, round } from '../lib/stats';
import { delay, machineCpuTicks, machineInfo, waitForQuietMachine } from '../lib/system';
import { type TreesCpu, sampleTreesCpu } from '../lib/tree-cpu';

type CallsOptions = BenchOptions['calls'];

/** One measured join: milliseconds from the click on the voice channel, in the joining page. */
interface JoinSample {
  round: number;
  /** This join made the call this big (2 = joined one person). */
  position: number;
  toFirstAudio: number | null;
  toVoiceConnected: number | null;
  toFirstPeer: number | null;
  toPeerConnected: number | null;
  packetsAtFirstAudio: number;
  /** The joiner's page was loaded afresh before this join (the third joiner's are). */
  freshPage: boolean;
  /** The web client's own milestones of this join, ms from the click (null: a client without them). */
  marks: Record<string, number> | null;
}

/** Which joiner joins from a fresh page: the third person in the call, two others' browsers busy with it. */
const FRESH_POSITION = 3;

interface JoinRun {
  e2ee: boolean;
  /** The whole machine while the joins ran, % of all cores (others share it). */
  machineBusyPercent: number;
  samples: JoinSample[];
}

/** What the participants do while CPU is sampled: nothing (the client open, no call), or a call. */
type CpuMedia = 'none' | CallMedia;

interface CpuRun {
  media: CpuMedia;
  e2ee: boolean;
  /** Every participant's client was encrypting its frames (E2EE asked for and in effect). */
  encrypted: boolean;
  cpu: TreesCpu;
  /** Machine busy share before the call started, when `--wait-idle` waited for it (null otherwise). */
  busyBeforePercent: number | null;
  /** Video: seconds until no camera stream was held back by bandwidth any more (null: still ramping up when sampling began). */
  settledAfterSeconds: number | null;
  /** Per participant over the window, kbit/s: RTP payload received and sent (all peers). */
  kbpsIn: number[];
  kbpsOut: number[];
  /** The cameras, when on: frames per second per stream sent and received, sent heights, what limited them. */
  video: VideoFlow | null;
}

interface VideoFlow {
  sentFps: number;
  receivedFps: number;
  /** Heights of the streams being sent at the end of the window (the cameras capture 720p). */
  sentHeights: number[];
  /** WebRTC's qualityLimitationReason of those streams, counted. */
  limitations: Record<string, number>;
}

/**
 * Calls in real Chromium (issue 5): `--people` (4) participants, each in a Chromium process of
 * their own, in one voice channel of a real Parley server; media goes peer to peer over
 * loopback. For each end-to-end encryption setting:
 * - **join latency**: people join one after another, through the UI; for each join after the
 *   first, the time in the joining page from the click on the voice channel to the first getStats
 *   read showing inbound audio from a remote peer. `--join-rounds` rounds (everyone leaves between).
 * - **CPU**: everyone in the call (cameras off, then on), each browser's whole process tree
 *   sampled from /proc over `--cpu-seconds`, and the server's.
 */
export async function callsScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.calls;
  const startedAt = new Date();
  const notes: string[] = [];
  // One node: the browsers all load the client from it (calls across nodes are the call specs' job).
  const deployment = new Deployment({ ...options.deployment, nodes: 1, web: true });
  let room: CallRoom | null = null;
  try {
    const [node] = await deployment.start();
    room = await CallRoom.open(node!.baseUrl, o.people);
    const joins: JoinRun[] = [];
    const cpuRuns: CpuRun[] = [];
    for (const [i, e2ee] of o.e2ee.entries()) {
      await room.load(e2ee);
      // The reference: the same browsers with the web client open and no call.
      if (i === 0 && o.cpuSeconds > 0) cpuRuns.push(await measureCpu(room, node!, e2ee, 'none', o, options.waitIdleSeconds));
      if (o.joinRounds > 0) joins.push(await measureJoins(room, e2ee, o, options.waitIdleSeconds));
      for (const media of o.cpuSeconds > 0 ? o.media : []) cpuRuns.push(await measureCpu(room, node!, e2ee, media, o, options.waitIdleSeconds));
    }
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);

    const joinResults = joins.map(({ samples, ...run }) => ({ ...run, ...summariseJoins(samples, o.people), samples }));
    printJoins(joinResults);
    printCpu(cpuRuns, o.people);
    for (const run of cpuRuns) {
      if (run.media !== 'none' && run.e2ee && !run.encrypted)
        notes.push(`E2EE was on in the voice settings but not in effect (${run.media}): the web client did not encrypt, so "E2EE on" measured an unencrypted call`);
      if (run.media === 'video' && run.settledAfterSeconds === null)
        notes.push(`camera streams were still ramping up (bandwidth-limited) after ${o.settleSeconds} s when CPU sampling began (E2EE ${onOff(run.e2ee)})`);
      if (run.cpu.machineBusyPercent > 90)
        notes.push(
          `machine ${run.cpu.machineBusyPercent}% busy during the ${run.media} CPU window (E2EE ${onOff(run.e2ee)}): the participants competed for the cores, their shares are capped by that`,
        );
    }
    const failed = joins.reduce((n, j) => n + j.samples.filter((s) => s.toFirstAudio === null).length, 0);
    const measured = joins.reduce((n, j) => n + j.samples.length, 0);
    return {
      scenario: 'calls',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: 1, redis: options.deployment.redis, target: `parley + ${o.people} chromium` },
      params: { ...o },
      results: { joins: joinResults, cpu: cpuRuns },
      targets: measured
        ? [
            target(`joins that heard remote audio within ${o.joinTimeoutSeconds} s`, `all ${measured}`, measured - failed, 'joins', (v) => v === measured),
            // Issue 16: the third joiner, clicking from a freshly loaded page while two others are in the call.
            ...joinResults
              .filter((run) => run.freshThirdJoin.joins > 0)
              .map((run) => target(`join → first remote audio median < 1000 ms (third joiner, fresh page, E2EE ${onOff(run.e2ee)})`, '< 1000', run.freshThirdJoin.p50, 'ms', (v) => v < 1000)),
          ]
        : [],
      notes,
    };
  } finally {
    await room?.close();
    await deployment.dispose();
  }
}

/**
 * `--join-rounds` rounds: participant 1 starts the call, 2…N join one by one (each timed), all
 * leave. Also returns how busy the machine was meanwhile (% of all cores; others share it).
 */
async function measureJoins(room: CallRoom, e2ee: boolean, o: CallsOptions, waitIdleSeconds: number): Promise<JoinRun> {
  if (waitIdleSeconds) progress(`machine ${await waitForQuietMachine(waitIdleSeconds)}% busy before the joins`);
  const machineStart = machineCpuTicks();
  const samples: JoinSample[] = [];
  for (let round = 1; round <= o.joinRounds; round++) {
    progress(`joins, round ${round} of ${o.joinRounds} (E2EE ${onOff(e2ee)})`);
    const [first, ...joiners] = room.participants;
    await room.join(first!);
    if (o.joinLoad === 'video') await room.cameraOn(first!);
    const inCall = [first!];
    for (const joiner of joiners) {
      const position = inCall.length + 1;
      const freshPage = position === FRESH_POSITION;
      if (freshPage) {
        // As when someone opens Parley and clicks a voice channel: the client starts again (the
        // call engine not loaded), under the load of the call already going on.
        await room.reload(joiner, o.freshJoinCache === 'cold');
        await delay(o.freshJoinAfterMs);
      }
      await armJoin(joiner.page, o.pollMs, o.joinTimeoutSeconds * 1000);
      await room.clickJoin(joiner);
      const timing = await joinTiming(joiner.page);
      samples.push({ round, position, freshPage, ...fromClick(timing), marks: sinceClick(await callMarks(joiner.page), timing.clickAt) });
      inCall.push(joiner);
      if (o.joinLoad === 'video') await room.cameraOn(joiner);
      // The next one joins a call in a steady state: everyone hears everyone (and sees their cameras).
      await room.meshFlowing(inCall, o.joinLoad === 'video');
    }
    await room.everyoneLeaves();
  }
  const machine = machineCpuTicks();
  return { e2ee, machineBusyPercent: round(((machine.busy - machineStart.busy) / Math.max(1, machine.total - machineStart.total)) * 100, 1), samples };
}

/** The client's marks of the join, ms from the probe's click (its own "click" mark is when the store's join ran). */
function sinceClick(marks: Record<string, number> | null, clickAt: number): Record<string, number> | null {
  if (!marks) return null;
  return Object.fromEntries(Object.entries(marks).map(([name, at]) => [name, round(at - clickAt, 1)]));
}

function fromClick(timing: JoinTiming): Omit<JoinSample, 'round' | 'position' | 'freshPage' | 'marks'> {
  const since = (at: number | null) => (at === null ? null : round(at - timing.clickAt, 1));
  return {
    toFirstAudio: since(timing.firstAudioAt),
    toVoiceConnected: since(timing.joinedAt),
    toFirstPeer: since(timing.firstPeerAt),
    toPeerConnected: since(timing.connectedAt),
    packetsAtFirstAudio: timing.packetsAtFirstAudio,
  };
}

/** Everyone joins (and turns their camera on for video); once media flows and settles, CPU is sampled. */
async function measureCpu(room: CallRoom, node: ParleyNode, e2ee: boolean, media: CpuMedia, o: CallsOptions, waitIdleSeconds: number): Promise<CpuRun> {
  progress(`CPU: ${media === 'none' ? 'the web client open, no call' : `${o.people} in the call, ${media === 'video' ? 'cameras on' : 'audio only'}, E2EE ${onOff(e2ee)}`}`);
  // Others' work on the shared machine takes cores from the browsers: wait for a quiet moment first.
  const busyBeforePercent = waitIdleSeconds ? await waitForQuietMachine(waitIdleSeconds) : null;
  if (busyBeforePercent !== null) progress(`machine ${busyBeforePercent}% busy before the call`);
  if (media !== 'none') {
    for (const participant of room.participants) await room.join(participant);
    if (media === 'video') for (const participant of room.participants) await room.cameraOn(participant);
    await room.meshFlowing(room.participants, media === 'video');
  }
  const encrypted = media !== 'none' && (await room.allEncrypting());
  const settledAfterSeconds = media === 'video' ? await videoRampedUp(room, o.settleSeconds) : null;
  const before = await Promise.all(room.participants.map((p) => traffic(p.page)));
  progress(`sampling CPU for ${o.cpuSeconds} s`);
  const cpu = await sampleTreesCpu([...room.participants.map((p) => p.pid), node.pid], o.cpuSeconds, chromiumProcessKind);
  const after = await Promise.all(room.participants.map((p) => traffic(p.page)));
  if (media !== 'none') await room.everyoneLeaves();
  const kbps = (bytes: number, i: number) => round((bytes * 8) / (after[i]!.at - before[i]!.at), 1);
  return {
    media,
    e2ee,
    encrypted,
    cpu,
    busyBeforePercent,
    settledAfterSeconds,
    kbpsIn: after.map((t, i) => kbps(t.audioIn + t.videoIn - before[i]!.audioIn - before[i]!.videoIn, i)),
    kbpsOut: after.map((t, i) => kbps(t.audioOut + t.videoOut - before[i]!.audioOut - before[i]!.videoOut, i)),
    video: media === 'video' ? videoFlow(before, after) : null,
  };
}

/**
 * Waits (at most `maxSeconds`) until no camera stream is held back by bandwidth any more: the
 * bandwidth estimate starts low and ramps up over the first seconds of a call, and the window
 * should measure the call as it goes on. Returns the seconds it took, or null when it did not
 * settle in time (the streams were still ramping up: the report says so).
 */
async function videoRampedUp(room: CallRoom, maxSeconds: number): Promise<number | null> {
  const startedAt = Date.now();
  const rampingUp = async () => (await Promise.all(room.participants.map((p) => traffic(p.page)))).some((t) => t.videoSent.some((stream) => stream.limitation === 'bandwidth'));
  for (let check = 0; check < maxSeconds * 2 && Date.now() - startedAt < maxSeconds * 1000; check++) {
    if (!(await rampingUp())) return round((Date.now() - startedAt) / 1000, 1);
    await delay(500);
  }
  return null;
}

/** Frame rates per stream over the window and the sent streams' state at its end, over every participant. */
function videoFlow(before: Traffic[], after: Traffic[]): VideoFlow {
  let encoded = 0;
  let decoded = 0;
  let seconds = 0;
  for (const [i, end] of after.entries()) {
    encoded += end.framesEncoded - before[i]!.framesEncoded;
    decoded += end.framesDecoded - before[i]!.framesDecoded;
    seconds += (end.at - before[i]!.at) / 1000;
  }
  const sent = after.flatMap((t) => t.videoSent);
  const streams = Math.max(1, sent.length);
  const limitations: Record<string, number> = {};
  for (const { limitation } of sent) limitations[limitation] = (limitations[limitation] ?? 0) + 1;
  // Every participant sends each of the others one stream and receives one from each.
  const perParticipant = seconds / after.length;
  return {
    sentFps: round(encoded / perParticipant / streams, 1),
    receivedFps: round(decoded / perParticipant / streams, 1),
    sentHeights: sent.map((s) => s.height).sort((a, b) => a - b),
    limitations,
  };
}

interface LatencyRow {
  joins: number;
  failed: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** Click → first remote audio over all joins and by how big the call became, with the milestones' medians. */
function summariseJoins(samples: JoinSample[], people: number) {
  const latency = (of: JoinSample[]): LatencyRow => {
    const heard = new Samples();
    for (const s of of) if (s.toFirstAudio !== null) heard.add(s.toFirstAudio);
    const summary = heard.summary();
    return { joins: of.length, failed: of.length - heard.count, p50: summary.p50, p95: round(heard.percentile(95)), max: summary.max, mean: summary.mean };
  };
  const median = (values: (number | null)[]) => {
    const kept = new Samples();
    for (const v of values) if (v !== null) kept.add(v);
    return round(kept.percentile(50));
  };
  const positions = Array.from({ length: people - 1 }, (_, i) => i + 2);
  const fresh = samples.filter((s) => s.freshPage);
  const freshHeard = new Samples();
  for (const s of fresh) if (s.toFirstAudio !== null) freshHeard.add(s.toFirstAudio);
  const markNames = [...new Set(fresh.flatMap((s) => Object.keys(s.marks ?? {})))];
  return {
    /** The third joiner, from a freshly loaded page, while two others are in the call: the issue's measure. */
    freshThirdJoin: {
      joins: fresh.length,
      failed: fresh.length - freshHeard.count,
      p50: round(freshHeard.percentile(50)),
      p90: round(freshHeard.percentile(90)),
      max: round(freshHeard.count ? freshHeard.max : Number.NaN),
      toFirstPeer: median(fresh.map((s) => s.toFirstPeer)),
      toPeerConnected: median(fresh.map((s) => s.toPeerConnected)),
      /** Medians of the client's own marks, ms from the click, in the order they came. */
      marks: Object.fromEntries(markNames.map((name) => [name, median(fresh.map((s) => s.marks?.[name] ?? null))] as const).sort((a, b) => a[1] - b[1])),
    },
    clickToFirstAudio: latency(samples),
    byPosition: positions.map((position) => ({ position, ...latency(samples.filter((s) => s.position === position)) })),
    medians: {
      toVoiceConnected: median(samples.map((s) => s.toVoiceConnected)),
      toFirstPeer: median(samples.map((s) => s.toFirstPeer)),
      toPeerConnected: median(samples.map((s) => s.toPeerConnected)),
      toFirstAudio: median(samples.map((s) => s.toFirstAudio)),
      packetsAtFirstAudio: median(samples.map((s) => s.packetsAtFirstAudio)),
    },
  };
}

function printJoins(results: (Omit<JoinRun, 'samples'> & ReturnType<typeof summariseJoins>)[]): void {
  const rows = results.flatMap(({ e2ee, machineBusyPercent, clickToFirstAudio, byPosition }) => [
    ...byPosition.map(({ position, ...row }) => ({ E2EE: onOff(e2ee), 'joins a call of': position - 1, ...row, 'machine %': '' })),
    { E2EE: onOff(e2ee), 'joins a call of': 'any', ...clickToFirstAudio, 'machine %': machineBusyPercent },
  ]);
  printTable('Join latency: click on the voice channel → first remote audio in getStats (ms)', rows);
  printTable(
    `Third joiner from a freshly loaded page (a call of 2 going on): click → first remote audio (ms)`,
    results.map(({ e2ee, freshThirdJoin: f }) => ({
      E2EE: onOff(e2ee),
      joins: f.joins,
      failed: f.failed,
      p50: f.p50,
      p90: f.p90,
      max: f.max,
      'first peer': f.toFirstPeer,
      'peer connected': f.toPeerConnected,
    })),
  );
  for (const { e2ee, freshThirdJoin } of results) {
    if (Object.keys(freshThirdJoin.marks).length) printTable(`Where the third joiner's time goes (E2EE ${onOff(e2ee)}): the client's marks, median ms from the click`, [freshThirdJoin.marks]);
  }
  printTable(
    'Median milestones of a join (ms from the click)',
    results.map(({ e2ee, medians }) => ({
      E2EE: onOff(e2ee),
      // The engine creates its peer connections as the server's VOICE_STATE_UPDATE arrives; the UI shows it after its next render.
      'first peer connection': medians.toFirstPeer,
      '"Voice connected" shown': medians.toVoiceConnected,
      'peer connected': medians.toPeerConnected,
      'first audio read': medians.toFirstAudio,
      'audio packets by then': medians.packetsAtFirstAudio,
    })),
  );
}

function printCpu(runs: CpuRun[], people: number): void {
  const cores = machineInfo().nproc;
  printTable(
    `CPU with ${people} in the call, % of one core per participant's Chromium (whole process tree)`,
    runs.map((run) => {
      const browsers = run.cpu.trees.slice(0, people);
      const server = run.cpu.trees[people]!;
      const ours = run.cpu.trees.reduce((sum, tree) => sum + tree.meanPercent, 0) + run.cpu.benchPercent;
      return {
        ...runLabel(run),
        ...Object.fromEntries(browsers.map((tree, i) => [`p${i + 1}`, tree.meanPercent])),
        mean: round(browsers.reduce((sum, tree) => sum + tree.meanPercent, 0) / people, 1),
        'busiest 1 s': Math.max(...browsers.map((tree) => tree.maxSecondPercent)),
        server: server.meanPercent,
        'machine %': run.cpu.machineBusyPercent,
        // What the machine did besides this bench, in % of one core (others share it).
        others: round(Math.max(0, run.cpu.machineBusyPercent * cores - ours), 1),
        'kbit/s in': round(run.kbpsIn.reduce((a, b) => a + b, 0) / people, 1),
        'kbit/s out': round(run.kbpsOut.reduce((a, b) => a + b, 0) / people, 1),
      };
    }),
  );
  const videoRuns = runs.filter((run) => run.video);
  printTable(
    'Camera streams (each participant sends one to each other participant)',
    videoRuns.map((run) => ({
      E2EE: onOff(run.e2ee),
      'sent fps': run.video!.sentFps,
      'received fps': run.video!.receivedFps,
      'sent heights': `${run.video!.sentHeights[0]}–${run.video!.sentHeights.at(-1)}`,
      'limited by': Object.entries(run.video!.limitations)
        .map(([reason, count]) => `${reason} ${count}`)
        .join(', '),
    })),
  );
  // Process kinds that did anything (Chromium starts several that stay idle in a call).
  const kinds = [...new Set(runs.flatMap((run) => run.cpu.trees.slice(0, people).flatMap((tree) => Object.entries(tree.byKind).flatMap(([kind, percent]) => (percent >= 0.1 ? [kind] : [])))))].sort();
  printTable(
    'Where a participant’s CPU goes, mean per participant (% of one core)',
    runs.map((run) => ({
      ...runLabel(run),
      ...Object.fromEntries(kinds.map((kind) => [kind, round(run.cpu.trees.slice(0, people).reduce((sum, tree) => sum + (tree.byKind[kind] ?? 0), 0) / people, 1)])),
    })),
  );
}

const onOff = (on: boolean) => (on ? 'on' : 'off');

/** The first columns of a CPU row: what the participants did, and the encryption setting. */
function runLabel(run: CpuRun): { media: string; E2EE: string } {
  if (run.media === 'none') return { media: 'no call', E2EE: '-' };
  return { media: run.media, E2EE: `${onOff(run.e2ee)}${run.e2ee && !run.encrypted ? ' (not in effect)' : ''}` };
}
