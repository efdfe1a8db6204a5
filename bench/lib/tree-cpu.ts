import { cpuMillisBetween, cpuMillisOfTrees, delay, machineCpuTicks } from './system';

/** CPU of one process tree over a window, in % of one core. */
export interface TreeCpu {
  root: number;
  /** Over the whole window. */
  meanPercent: number;
  /** The busiest one-second step of the window. */
  maxSecondPercent: number;
  /** Over the whole window, by what the processes do (`kindOf`). */
  byKind: Record<string, number>;
}

export interface TreesCpu {
  seconds: number;
  trees: TreeCpu[];
  /** The whole machine, % of all its cores (others' work included: the machine is shared). */
  machineBusyPercent: number;
  /** This bench process (Playwright's client and server side), % of one core. */
  benchPercent: number;
}

/**
 * Samples the CPU time of each process tree rooted at `roots` (a process and all its
 * descendants, from /proc) every second for `seconds`, and reports each tree's share of one core.
 */
export async function sampleTreesCpu(roots: readonly number[], seconds: number, kindOf: (pid: number) => string): Promise<TreesCpu> {
  const start = cpuMillisOfTrees(roots);
  const machineStart = machineCpuTicks();
  const benchStart = process.cpuUsage();
  const startedAt = performance.now();
  const busiest = roots.map(() => 0);
  let previous = start;
  let previousAt = startedAt;
  for (let second = 1; second <= seconds; second++) {
    await delay(Math.max(0, startedAt + second * 1000 - performance.now()));
    const now = cpuMillisOfTrees(roots);
    const at = performance.now();
    roots.forEach((root, i) => {
      const percent = (cpuMillisBetween(previous.get(root)!, now.get(root)!) / (at - previousAt)) * 100;
      busiest[i] = Math.max(busiest[i]!, percent);
    });
    [previous, previousAt] = [now, at];
  }
  const elapsed = previousAt - startedAt;
  const percentOf = (millis: number) => round1((millis / elapsed) * 100);
  const machine = machineCpuTicks();
  const bench = process.cpuUsage(benchStart);
  return {
    seconds: round1(elapsed / 1000),
    trees: roots.map((root, i) => {
      const before = start.get(root)!;
      const after = previous.get(root)!;
      const byKind: Record<string, number> = {};
      for (const [pid, millis] of after) {
        const kind = kindOf(pid);
        byKind[kind] = (byKind[kind] ?? 0) + millis - (before.get(pid) ?? 0);
      }
      return {
        root,
        meanPercent: percentOf(cpuMillisBetween(before, after)),
        maxSecondPercent: round1(busiest[i]!),
        byKind: Object.fromEntries(Object.entries(byKind).map(([kind, millis]) => [kind, percentOf(millis)])),
      };
    }),
    machineBusyPercent: round1(((machine.busy - machineStart.busy) / Math.max(1, machine.total - machineStart.total)) * 100),
    benchPercent: percentOf((bench.user + bench.system) / 1000),
  };
}

const round1 = (value: number) => Math.round(value * 10) / 10;
