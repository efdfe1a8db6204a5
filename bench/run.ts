/**
 * The Parley load bench: `npx tsx bench/run.ts <scenario|all> [flags]` (`--help` lists them).
 * Starts its own servers on free ports of 127.0.0.1, on fresh storage it removes afterwards;
 * every loop is bounded in count and time, so a run always ends by itself.
 */
import { ALL_SCENARIOS, type BenchOptions, parseOptions, type Scenario, USAGE } from './lib/options';
import { printTargets, type ScenarioReport, writeReport } from './lib/report';
import { pinToCpus, waitForQuietMachine } from './lib/system';
import { baselineScenario } from './scenarios/baseline';
import { callsScenario } from './scenarios/calls';
import { fanoutScenario } from './scenarios/fanout';
import { governanceScenario } from './scenarios/governance';
import { historyScenario } from './scenarios/history';
import { idleScenario } from './scenarios/idle';
import { tuiScenario } from './scenarios/tui';
import { lowbandScenario } from './scenarios/lowband';
import { e2eeScenario } from './scenarios/e2ee';
import { filesScenario } from './scenarios/files';
import { sfuScenario } from './scenarios/sfu';
import { stormScenario } from './scenarios/storm';
import { soakScenario } from './scenarios/soak';

const scenarios: Record<Scenario, (options: BenchOptions) => Promise<ScenarioReport>> = {
  fanout: fanoutScenario,
  baseline: baselineScenario,
  idle: idleScenario,
  history: historyScenario,
  calls: callsScenario,
  governance: governanceScenario,
  tui: tuiScenario,
  lowband: lowbandScenario,
  e2ee: e2eeScenario,
  files: filesScenario,
  sfu: sfuScenario,
  storm: stormScenario,
  soak: soakScenario,
};

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return;
  }
  const { cpus } = options.deployment;
  if (cpus) {
    pinToCpus(process.pid, cpus.bench);
    console.log(`pinned: the server on core ${cpus.server}, the bench's senders and receivers on ${cpus.bench}`);
  }
  const chosen = options.scenario === 'all' ? ALL_SCENARIOS : [options.scenario];
  let failed = false;
  for (const name of chosen) {
    console.log(`\n=== ${name} ===`);
    if (options.waitIdleSeconds) {
      const busy = await waitForQuietMachine(options.waitIdleSeconds);
      console.log(`machine ${busy}% busy at the start`);
    }
    const report = await scenarios[name](options);
    printTargets(report.targets);
    for (const note of report.notes) console.log(`note: ${note}`);
    console.log(`\nresults: ${writeReport(report)}`);
    failed ||= report.targets.some((t) => t.pass === false);
  }
  process.exitCode = failed ? 1 : 0;
}

// Interrupted: exit through process.on('exit'), which kills the servers and receivers started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

main().then(
  // Sockets or timers someone forgot must not keep a finished bench alive.
  () => setTimeout(() => process.exit(), 100).unref(),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(2);
  },
);
