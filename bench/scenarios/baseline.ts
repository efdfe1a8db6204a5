import { type BaselineServer, startBaseline } from '../lib/baseline';
import { FanoutBench, type FanoutTarget, fanoutOptions, type StepResult, stepRow } from '../lib/fanout';
import { JsonPoster } from '../lib/http-post';
import type { BenchOptions } from '../lib/options';
import { Deployment } from '../lib/parley';
import { parleyFanoutTarget, progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { round } from '../lib/stats';
import { machineInfo } from '../lib/system';

const CEILING_RATIO_TARGET = 0.6;

/** One target's saturation sweep, advanced one step at a time so two sweeps can interleave. */
export class Sweep {
  readonly steps: StepResult[] = [];
  private rate: number;
  private flat = 0;
  private best = 0;
  private roundSteps = 0;
  done = false;

  constructor(
    readonly label: string,
    readonly bench: FanoutBench,
    private readonly o: BenchOptions['fanout'],
  ) {
    this.rate = o.startRate;
  }

  async next(): Promise<void> {
    const s = await this.bench.step(this.rate, this.o.stepSeconds);
    this.steps.push(s);
    progress(
      `  ${this.label}: ${s.targetRate} msg/s → ${s.deliveredPerSecond} delivered/s, p99 ${s.delivery.p99} ms, server ${s.serverCpuMsPer1kDeliveries} ms CPU/1k, machine ${s.machineBusyPercent}% busy`,
    );
    this.flat = s.deliveredPerSecond > this.best * 1.05 ? 0 : this.flat + 1;
    this.best = Math.max(this.best, s.deliveredPerSecond);
    this.rate = Math.round(this.rate * this.o.factor);
    this.done = this.flat >= 2 || s.unexpectedCloses > 0 || ++this.roundSteps >= this.o.maxSteps;
  }

  /** Starts another sweep from the first rate (the best of several rounds is kept). */
  restart(): void {
    this.rate = this.o.startRate;
    this.flat = 0;
    this.best = 0;
    this.roundSteps = 0;
    this.done = false;
  }

  get peak(): StepResult {
    return this.steps.reduce((a, b) => (b.deliveredPerSecond > a.deliveredPerSecond ? b : a));
  }

  /** The least server CPU per 1,000 deliveries seen in a step with real load (≥ 10k/s). */
  get leanest(): number {
    const loaded = this.steps.filter((s) => s.deliveredPerSecond >= 10_000);
    return Math.min(...loaded.map((s) => s.serverCpuMsPer1kDeliveries));
  }
}

/** The bare ws reference as a fan-out target (its clients need no real tokens). */
function bareTarget(label: string, server: BaselineServer, members: number): FanoutTarget {
  const poster = new JsonPoster(server.baseUrl);
  return {
    label,
    pids: [server.pid],
    gatewayUrl: () => server.gatewayUrl,
    receiverTokens: Array.from({ length: members }, (_, i) => `member-${i}`),
    send: async (_sender, content, nonce) => {
      await poster.post('/send', { content, nonce });
    },
  };
}

/**
 * Parley's peak delivered events/s against the bare ws broadcast server's: same machine, same
 * members, same frame size, same client code. The reference runs twice, as the plain loop and
 * with Parley's batching (one frame for all, writes held per turn: `BATCHED=1`); the ceiling is
 * the better of the two. All
 * servers run side by side with their clients connected, and their saturation steps alternate,
 * so all see the same background load (this machine is shared); `--rounds` sweeps each and
 * keeps the best.
 */
export async function baselineScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.fanout;
  const startedAt = new Date();
  const notes: string[] = [];
  const benchOptions = fanoutOptions(options);
  const deployment = new Deployment(options.deployment);
  const bareServers: BaselineServer[] = [];
  const benches: FanoutBench[] = [];
  try {
    await deployment.start();
    const { target: parleyTarget } = await parleyFanoutTarget(deployment, o.members, o.senders);
    const open = async (target: FanoutTarget) => {
      const bench = new FanoutBench(target, benchOptions);
      benches.push(bench);
      progress(`${target.label}: opening ${o.members} connections`);
      const opened = await bench.connect();
      if (opened.failed) notes.push(`${target.label}: ${opened.failed} connections failed: ${opened.errors.join('; ')}`);
      await bench.settle();
      return bench;
    };
    const parley = await open(parleyTarget);
    // The reference sends frames as large as Parley's MESSAGE_CREATE.
    const frameBytes = (await parley.step(10, 2)).meanFrameBytes;
    const plainServer = await startBaseline(frameBytes, 41_250, false, options.deployment.cpus?.server ?? null);
    bareServers.push(plainServer);
    const batchedServer = await startBaseline(frameBytes, 41_250, true, options.deployment.cpus?.server ?? null);
    bareServers.push(batchedServer);
    const plain = await open(bareTarget('bare ws', plainServer, o.members));
    const batched = await open(bareTarget('bare ws, batched', batchedServer, o.members));

    const sweeps = [new Sweep('parley', parley, o), new Sweep('bare ws', plain, o), new Sweep('bare ws, batched', batched, o)] as const;
    for (let r = 1; r <= o.rounds; r++) {
      progress(`round ${r} of ${o.rounds}: alternating saturation steps`);
      for (const sweep of sweeps) sweep.restart();
      while (sweeps.some((s) => !s.done)) for (const sweep of sweeps) if (!sweep.done) await sweep.next();
    }
    for (const bench of benches.splice(0)) await bench.close();

    const [p, b, c] = sweeps;
    printTable(
      'Saturation steps (alternating)',
      sweeps.flatMap((sweep) => sweep.steps.map((s) => stepRow(sweep.label, s))),
    );
    const ceiling = c.peak.deliveredPerSecond >= b.peak.deliveredPerSecond ? c : b;
    const ratio = round(p.peak.deliveredPerSecond / ceiling.peak.deliveredPerSecond, 3);
    const cpuRatio = round(ceiling.leanest / p.leanest, 3);
    const row = (label: string, sweep: Sweep) => ({
      target: label,
      'peak delivered/s': sweep.peak.deliveredPerSecond,
      'at msg/s': sweep.peak.targetRate,
      'p99 ms there': sweep.peak.delivery.p99,
      'least server ms CPU/1k': sweep.leanest,
    });
    printTable('Peak delivered events/s', [
      row(parleyTarget.label, p),
      row('bare ws', b),
      row('bare ws, batched', c),
      { target: `parley / ${ceiling.label} (ceiling)`, 'peak delivered/s': ratio, 'at msg/s': null, 'p99 ms there': null, 'least server ms CPU/1k': cpuRatio },
    ]);
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);
    const summary = (sweep: Sweep) => ({ peakDeliveredPerSecond: sweep.peak.deliveredPerSecond, peakAtRate: sweep.peak.targetRate, leastServerCpuMsPer1k: sweep.leanest, steps: sweep.steps });
    return {
      scenario: 'baseline',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: options.deployment.nodes, redis: options.deployment.redis, target: parleyTarget.label },
      params: { ...o, frameBytes },
      results: {
        parley: summary(p),
        bareWs: summary(b),
        bareWsBatched: summary(c),
        ceiling: ceiling.label,
        ratio,
        /** The ceiling's server CPU per delivery over Parley's: the ratio a CPU-bound server would reach. */
        cpuEfficiencyRatio: cpuRatio,
      },
      targets: [target(`Parley's peak delivered events/s vs the bare ws ceiling (${o.members} members)`, `≥ ${CEILING_RATIO_TARGET}`, ratio, '× ceiling', (v) => v >= CEILING_RATIO_TARGET)],
      notes,
    };
  } finally {
    for (const bench of benches) await bench.close();
    for (const server of bareServers) await server.stop();
    await deployment.dispose();
  }
}
