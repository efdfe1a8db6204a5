import type { OpenResult } from './gateway-clients';
import { markedContent } from './gateway-clients';
import { paced } from './load';
import type { BenchOptions } from './options';
import { ReceiverFleet } from './receivers';
import { type LatencySummary, monoMicros, round } from './stats';
import { cpuMillisBetween, cpuMillisByCommand, cpuMillisOf, machineCpuTicks, rssOf, waitFor } from './system';

/** A server that fans messages out to gateway clients: Parley, or the bare ws reference. */
export interface FanoutTarget {
  label: string;
  /** Its server processes (several nodes: all of them; CPU and memory are their sum). */
  pids: readonly number[];
  /** Gateway URL for receiver number i (several nodes: spread the receivers). */
  gatewayUrl: (receiver: number) => string;
  /** One token per receiver; the senders are receivers too. */
  receiverTokens: readonly string[];
  /** Posts one message as sender number `sender`; rejects unless it was accepted. */
  send: (sender: number, content: string, nonce: string) => Promise<void>;
}

export interface FanoutOptions {
  senders: number;
  contentBytes: number;
  maxInflight: number;
  warmupSeconds: number;
  /** How long to wait for every delivery after the last send (bounded). */
  drainSeconds: number;
  /** Receiver processes the connections are split across. */
  receiverProcesses: number;
  /** Cores the receiver processes are bound to (`--pin-cpus`); null: anywhere. */
  receiverCpus: string | null;
}

/** The fan-out bench as the command line set it (fanout, baseline and governance share it). */
export function fanoutOptions(options: BenchOptions): FanoutOptions {
  const o = options.fanout;
  return {
    senders: o.senders,
    contentBytes: o.contentBytes,
    maxInflight: o.maxInflight,
    warmupSeconds: 1,
    drainSeconds: 15,
    receiverProcesses: o.receivers,
    receiverCpus: options.deployment.cpus?.bench ?? null,
  };
}

/** One rate held for a while: what was sent, what arrived, how fast and how late. */
export interface StepResult {
  targetRate: number;
  seconds: number;
  sent: number;
  sendFailed: number;
  sendSkipped: number;
  sentPerSecond: number;
  expectedDeliveries: number;
  deliveries: number;
  lostDeliveries: number;
  /** Deliveries received inside the measuring window (after the warm-up), per second. */
  deliveredPerSecond: number;
  /** Send call → MESSAGE_CREATE read by a receiver, in ms. */
  delivery: LatencySummary;
  /**
   * Per message, send call → its first and its last recipient read it, in ms: the first is the
   * send's own path, the gap to the last is the fan-out to every socket (and the receivers' reading).
   */
  firstDelivery: LatencySummary;
  lastDelivery: LatencySummary;
  /** Send call → HTTP response, in ms. */
  send: LatencySummary;
  /** CPU over the step, % of one core: the server (every node), the receiver processes, this (sending) process. */
  serverCpuPercent: number;
  receiverCpuPercent: number;
  senderCpuPercent: number;
  /** Every `postgres` process on the machine (ours and anyone else's), % of one core. */
  postgresCpuPercent: number;
  /** The whole machine's busy share over the step, % of all cores (others share this machine). */
  machineBusyPercent: number;
  /** Server CPU per 1,000 deliveries, ms: how much work a delivery costs, whatever the contention. */
  serverCpuMsPer1kDeliveries: number;
  serverRssMiB: number;
  meanFrameBytes: number;
  unexpectedCloses: number;
  sendErrors: string[];
  /** When the step ran, in monoMicros (the clock of V8 CPU profiles: `profile-top --from/--to`). */
  window: { fromMicros: number; toMicros: number };
}

/**
 * Drives one fan-out target: opens the receivers, sends at set rates and records each delivery
 * by the marker in its content. Both Parley and the bare-ws reference go through this same
 * client code, so their numbers compare.
 */
export class FanoutBench {
  readonly fleet: ReceiverFleet;
  private nextIndex = 0;

  constructor(
    private readonly target: FanoutTarget,
    private readonly options: FanoutOptions,
  ) {
    this.fleet = ReceiverFleet.start(options.receiverProcesses, options.receiverCpus);
  }

  connect(concurrency = 64): Promise<OpenResult> {
    return this.fleet.open(
      this.target.receiverTokens.map((token, i) => ({ url: this.target.gatewayUrl(i), token })),
      concurrency,
    );
  }

  /** Sends at `rate` messages/s for `seconds`, then waits (bounded) for every delivery. */
  async step(rate: number, seconds: number): Promise<StepResult> {
    const { senders, contentBytes, maxInflight, warmupSeconds, drainSeconds } = this.options;
    const receivers = this.fleet.progress.ready;
    const closesBefore = this.fleet.progress.unexpectedCloses;
    const firstIndex = this.nextIndex;
    const measured = Math.max(0.5, seconds - warmupSeconds);
    const startsAt = monoMicros() + 20_000;
    await this.fleet.beginStep(firstIndex, startsAt + (seconds - measured) * 1e6, startsAt + seconds * 1e6);
    const cpu = this.cpuNow();
    const machine = machineCpuTicks();
    const wallBefore = performance.now();
    const sends = await paced({
      rate,
      seconds,
      maxInflight,
      firstIndex,
      send: (index) => this.target.send(index % senders, markedContent(index, monoMicros(), contentBytes), String(index)),
    });
    this.nextIndex = firstIndex + sends.scheduled;
    const expected = sends.ok * receivers;
    await waitFor(() => this.fleet.progress.deliveries >= expected, drainSeconds * 1000, 20);
    const wall = performance.now() - wallBefore;
    const cpuAfter = this.cpuNow();
    const machineAfter = machineCpuTicks();
    const counts = await this.fleet.endStep();
    const percent = (millis: number) => round((millis / wall) * 100, 1);
    return {
      targetRate: rate,
      seconds: round(sends.seconds, 2),
      sent: sends.ok,
      sendFailed: sends.failed,
      sendSkipped: sends.skipped,
      sentPerSecond: round(sends.ok / sends.seconds, 1),
      expectedDeliveries: expected,
      deliveries: counts.deliveries,
      lostDeliveries: Math.max(0, expected - counts.deliveries),
      deliveredPerSecond: Math.round(counts.windowDeliveries / measured),
      delivery: counts.latency.summary(),
      firstDelivery: counts.firstDelivery.summary(),
      lastDelivery: counts.lastDelivery.summary(),
      send: sends.sendLatency.summary(),
      serverCpuPercent: percent(cpuAfter.server - cpu.server),
      receiverCpuPercent: percent(cpuAfter.receivers - cpu.receivers),
      senderCpuPercent: percent(cpuAfter.sender - cpu.sender),
      postgresCpuPercent: percent(cpuMillisBetween(cpu.postgres, cpuAfter.postgres)),
      machineBusyPercent: round(((machineAfter.busy - machine.busy) / Math.max(1, machineAfter.total - machine.total)) * 100, 1),
      serverCpuMsPer1kDeliveries: counts.deliveries ? round(((cpuAfter.server - cpu.server) / counts.deliveries) * 1000, 2) : Number.NaN,
      serverRssMiB: round(this.target.pids.reduce((sum, pid) => sum + rssOf(pid), 0) / 2 ** 20, 1),
      meanFrameBytes: counts.deliveries ? Math.round(counts.frameBytes / counts.deliveries) : 0,
      unexpectedCloses: this.fleet.progress.unexpectedCloses - closesBefore,
      sendErrors: sends.errors,
      window: { fromMicros: startsAt, toMicros: monoMicros() },
    };
  }

  private cpuNow(): { server: number; receivers: number; sender: number; postgres: Map<number, number> } {
    const own = process.cpuUsage();
    return {
      postgres: cpuMillisByCommand('postgres'),
      server: this.target.pids.reduce((sum, pid) => sum + cpuMillisOf(pid), 0),
      receivers: this.fleet.pids.reduce((sum, pid) => sum + cpuMillisOf(pid), 0),
      sender: (own.user + own.system) / 1000,
    };
  }

  /**
   * Raises the rate step by step (×`factor`) until delivered events/s stops growing (two steps
   * in a row add less than 5 % over the best so far), a socket is dropped, or `maxSteps`.
   */
  async saturate(startRate: number, factor: number, stepSeconds: number, maxSteps: number, onStep?: (s: StepResult) => void): Promise<Saturation> {
    const steps: StepResult[] = [];
    let best = 0;
    let bestRate = startRate;
    let flat = 0;
    let rate = startRate;
    for (let i = 0; i < maxSteps; i++) {
      const result = await this.step(rate, stepSeconds);
      steps.push(result);
      onStep?.(result);
      flat = result.deliveredPerSecond > best * 1.05 ? 0 : flat + 1;
      if (result.deliveredPerSecond > best) {
        best = result.deliveredPerSecond;
        bestRate = rate;
      }
      if (flat >= 2 || result.unexpectedCloses > 0 || this.fleet.progress.ready === 0) break;
      rate = Math.round(rate * factor);
    }
    return { steps, peakDeliveredPerSecond: best, peakAtRate: bestRate };
  }

  /**
   * Waits until the connect-time chatter (presence updates of members coming online) has been
   * read: no dispatch for half a second, bounded at 30 s.
   */
  async settle(): Promise<void> {
    let last = -1;
    let quietSince = Date.now();
    await waitFor(
      () => {
        const seen = this.fleet.progress.otherDispatches;
        if (seen !== last) {
          last = seen;
          quietSince = Date.now();
        }
        return Date.now() - quietSince > 500;
      },
      30_000,
      50,
    );
  }

  close(): Promise<void> {
    return this.fleet.close();
  }
}

export interface Saturation {
  steps: StepResult[];
  peakDeliveredPerSecond: number;
  peakAtRate: number;
}

/** A step as one table row. */
export function stepRow(label: string, s: StepResult): Record<string, unknown> {
  return {
    target: label,
    'rate msg/s': s.targetRate,
    'sent/s': s.sentPerSecond,
    skipped: s.sendSkipped,
    'delivered/s': s.deliveredPerSecond,
    lost: s.lostDeliveries,
    'p50 ms': s.delivery.p50,
    'p99 ms': s.delivery.p99,
    'max ms': s.delivery.max,
    'first p50': s.firstDelivery.p50,
    'last p50': s.lastDelivery.p50,
    'last p99': s.lastDelivery.p99,
    'send p50': s.send.p50,
    'send p99': s.send.p99,
    'srv cpu%': s.serverCpuPercent,
    'recv cpu%': s.receiverCpuPercent,
    'send cpu%': s.senderCpuPercent,
    'pg cpu%': s.postgresCpuPercent,
    'machine%': s.machineBusyPercent,
    'srv ms/1k': s.serverCpuMsPer1kDeliveries,
    'frame B': s.meanFrameBytes,
  };
}
