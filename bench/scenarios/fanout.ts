import { FanoutBench, fanoutOptions, type Saturation, stepRow } from '../lib/fanout';
import type { BenchOptions } from '../lib/options';
import { Deployment } from '../lib/parley';
import { parleyFanoutTarget, progress } from '../lib/parley-target';
import { type ScenarioReport, printTable, target } from '../lib/report';
import { machineInfo } from '../lib/system';

/** Targets from issue 3 for this scenario. */
const FANOUT_P99_TARGET_MS = 50;

/**
 * M members in one channel; senders post at R messages/s for T seconds. Measures send call →
 * MESSAGE_CREATE at every member (p50/p99/max), delivered events/s and send latency; with
 * --saturate, also the peak delivered events/s.
 */
export async function fanoutScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.fanout;
  const startedAt = new Date();
  const deployment = new Deployment(options.deployment);
  const notes: string[] = [];
  try {
    await deployment.start();
    const { target: parley } = await parleyFanoutTarget(deployment, o.members, o.senders);
    const bench = new FanoutBench(parley, fanoutOptions(options));
    progress(`opening ${o.members} gateway connections`);
    const opened = await bench.connect();
    progress(`${opened.ready} ready in ${opened.seconds.toFixed(1)} s (${opened.failed} failed)`);
    if (opened.failed) notes.push(`connections failed: ${opened.errors.join('; ')}`);
    await bench.settle();
    const rssIdle = deployment.nodes[0]!.rss();

    progress(`steady: ${o.rate} msg/s for ${o.seconds} s`);
    const steady = await bench.step(o.rate, o.seconds);
    printTable('Fan-out, steady rate', [stepRow(parley.label, steady)]);
    if (options.deployment.cpuProfDir) {
      console.log(`profile of this phase: npx tsx bench/profile-top.ts ${options.deployment.cpuProfDir}/<file> --from ${steady.window.fromMicros} --to ${steady.window.toMicros}`);
    }

    let saturation: Saturation | null = null;
    if (o.saturate) {
      progress('saturation: raising the rate until delivered events/s stops growing');
      saturation = await bench.saturate(o.startRate, o.factor, o.stepSeconds, o.maxSteps, (s) => progress(`  ${s.targetRate} msg/s → ${s.deliveredPerSecond} delivered/s, p99 ${s.delivery.p99} ms`));
      printTable(
        'Fan-out, saturation steps',
        saturation.steps.map((s) => stepRow(parley.label, s)),
      );
      console.log(`peak delivered events/s: ${saturation.peakDeliveredPerSecond.toLocaleString('en-US')} (at ${saturation.peakAtRate} msg/s)`);
    }
    await bench.close();
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);
    return {
      scenario: 'fanout',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: options.deployment.nodes, redis: options.deployment.redis, target: parley.label },
      params: { ...o, pinnedCpus: options.deployment.cpus },
      results: {
        connections: opened,
        serverRssMiBWithConnections: Math.round(rssIdle / 2 ** 20),
        steady,
        ...(saturation && { saturation }),
      },
      targets: [
        target(`delivery p99, ${o.members} members at ${o.rate} msg/s`, `< ${FANOUT_P99_TARGET_MS} ms`, steady.delivery.p99, 'ms', (v) => v < FANOUT_P99_TARGET_MS && steady.lostDeliveries === 0),
      ],
      notes,
    };
  } finally {
    await deployment.dispose();
  }
}
