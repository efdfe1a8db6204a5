import { startBaseline } from '../lib/baseline';
import { FanoutBench, type FanoutTarget, type StepResult, stepRow } from '../lib/fanout';
import type { BenchOptions } from '../lib/options';
import { Deployment } from '../lib/parley';
import { parleyFanoutTarget, progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { round } from '../lib/stats';
import { machineInfo } from '../lib/system';

export const CEILING_RATIO_TARGET = 0.6;

/** One target's saturation sweep, advanced one step at a time so two sweeps can interleave. */
class Sweep {
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
    progress(`  ${this.label}: ${s.targetRate} msg/s → ${s.deliveredPerSecond} delivered/s, p99 ${s.delivery.p99} ms, server ${s.serverCpuMsPer1kDeliveries} ms CPU/1k, machine ${s.machineBusyPercent}% busy`);
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

/**
 * Parley's peak delivered events/s against the bare ws broadcast server's: same machine, same
 * members, same frame size, same client code. Both servers run side by side with their
 * clients connected, and their saturation steps alternate, so both see the same background
 * load (this machine is shared); `--rounds` sweeps each and keeps the best.
 */
export async function baselineScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.fanout;
  const startedAt = new Date();
  const notes: string[] = [];
  const benchOptions = { senders: o.senders, contentBytes: o.contentBytes, maxInflight: o.maxInflight, warmupSeconds: 1, drainSeconds: 15, receiverProcesses: o.receivers };
  const deployment = new Deployment(options.deployment);
  let bare: Awaited<ReturnType<typeof startBaseline>> | null = null;
  const benches: FanoutBench[] = [];
  try {
    await deployment.start();
    const { target: parleyTarget } = await parleyFanoutTarget(deployment, o.members, o.senders);
    const parley = new FanoutBench(parleyTarget, benchOptions);
    benches.push(parley);
    const open = async (bench: FanoutBench, label: string) => {
      progress(`${label}: opening ${o.members} connections`);
      const opened = await bench.connect();
      if (opened.failed) notes.push(`${label}: ${opened.failed} connections failed: ${opened.errors.join('; ')}`);
      await bench.settle();
    };
    await open(parley, 'parley');
    // The reference sends frames as large as Parley's MESSAGE_CREATE.
    const frameBytes = (await parley.step(10, 2)).meanFrameBytes;

    bare = await startBaseline(frameBytes, 41_250);
    const bareUrl = bare.baseUrl;
    const bareTarget: FanoutTarget = {
      label: 'bare ws',
      pid: bare.pid,
      gatewayUrl: () => bare!.gatewayUrl,
      receiverTokens: Array.from({ length: o.members }, (_, i) => `member-${i}`),
      send: async (_sender, content, nonce) => {
        const response = await fetch(`${bareUrl}/send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ content, nonce }) });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`bare ws answered ${response.status}`);
      },
    };
    const reference = new FanoutBench(bareTarget, benchOptions);
    benches.push(reference);
    await open(reference, 'bare ws');

    const sweeps = [new Sweep('parley', parley, o), new Sweep('bare ws', reference, o)];
    for (let r = 1; r <= o.rounds; r++) {
      progress(`round ${r} of ${o.rounds}: alternating saturation steps`);
      for (const sweep of sweeps) sweep.restart();
      while (sweeps.some((s) => !s.done)) for (const sweep of sweeps) if (!sweep.done) await sweep.next();
    }
    for (const bench of benches.splice(0)) await bench.close();

    const [p, b] = sweeps as [Sweep, Sweep];
    printTable('Saturation steps (alternating)', [...p.steps.map((s) => stepRow('parley', s)), ...b.steps.map((s) => stepRow('bare ws', s))]);
    const ratio = round(p.peak.deliveredPerSecond / b.peak.deliveredPerSecond, 3);
    const cpuRatio = round(b.leanest / p.leanest, 3);
    printTable('Peak delivered events/s', [
      { target: parleyTarget.label, 'peak delivered/s': p.peak.deliveredPerSecond, 'at msg/s': p.peak.targetRate, 'least server ms CPU/1k': p.leanest },
      { target: 'bare ws', 'peak delivered/s': b.peak.deliveredPerSecond, 'at msg/s': b.peak.targetRate, 'least server ms CPU/1k': b.leanest },
      { target: 'parley / bare ws', 'peak delivered/s': ratio, 'at msg/s': null, 'least server ms CPU/1k': cpuRatio },
    ]);
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);
    return {
      scenario: 'baseline',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: options.deployment.nodes, redis: options.deployment.redis, target: parleyTarget.label },
      params: { ...o, frameBytes },
      results: {
        parley: { peakDeliveredPerSecond: p.peak.deliveredPerSecond, peakAtRate: p.peak.targetRate, leastServerCpuMsPer1k: p.leanest, steps: p.steps },
        bareWs: { peakDeliveredPerSecond: b.peak.deliveredPerSecond, peakAtRate: b.peak.targetRate, leastServerCpuMsPer1k: b.leanest, steps: b.steps },
        ratio,
        /** Bare ws's server CPU per delivery over Parley's: the ratio a CPU-bound server would reach. */
        cpuEfficiencyRatio: cpuRatio,
      },
      targets: [target(`Parley's peak delivered events/s vs bare ws (${o.members} members)`, `≥ ${CEILING_RATIO_TARGET}`, ratio, '× ceiling', (v) => v >= CEILING_RATIO_TARGET)],
      notes,
    };
  } finally {
    for (const bench of benches) await bench.close();
    await bare?.stop();
    await deployment.dispose();
  }
}
