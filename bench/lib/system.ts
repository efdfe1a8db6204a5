import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';

/**
 * `--pin-cpus`: the server's node gets core 0 to itself, the bench's own processes (senders,
 * receivers) the others. Unpinned, the kernel may wake a receiver on the server's core (a
 * loopback write wakes its reader, preferably where the writer runs), and the two take turns on
 * one core while the other idles: the bench then times its own clients sharing the server's core.
 */
export interface CpuPlan {
  server: string;
  bench: string;
}

export function cpuPlan(cores = os.availableParallelism()): CpuPlan {
  if (cores < 2) throw new Error('--pin-cpus needs at least two cores');
  return { server: '0', bench: cores === 2 ? '1' : `1-${cores - 1}` };
}

/** Binds every thread of a process to these cores (a taskset list); threads it starts later inherit it. */
export function pinToCpus(pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-c', '-p', cpus, String(pid)], { stdio: 'ignore' });
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it; the bench shares the machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process in bytes (VmRSS from /proc), or NaN when it is gone. */
export function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Total CPU time (user + system) a process has used, in milliseconds, from /proc/<pid>/stat. */
export function cpuMillisOf(pid: number): number {
  return readStat(pid)?.cpuMillis ?? Number.NaN;
}

/** Parent and CPU milliseconds (user + system) of a process from /proc/<pid>/stat; null when it is gone. */
function readStat(pid: number): { ppid: number; cpuMillis: number } | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { ppid: Number(fields[1]), cpuMillis: (ticks * 1000) / 100 }; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/**
 * CPU milliseconds used so far by each process of every tree rooted at `roots` (the root and all
 * its descendants, found by parent PID in one pass over /proc), by root and then by PID.
 * Compare two readings with `cpuMillisBetween`: processes that ended in between are missed.
 */
export function cpuMillisOfTrees(roots: readonly number[]): Map<number, Map<number, number>> {
  const all = new Map<number, { ppid: number; cpuMillis: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) all.set(Number(entry), stat);
  }
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of all) {
    const siblings = children.get(ppid);
    if (siblings) siblings.push(pid);
    else children.set(ppid, [pid]);
  }
  const trees = new Map<number, Map<number, number>>();
  for (const root of roots) {
    const tree = new Map<number, number>();
    // A tree is finite and each PID has one parent, so the walk ends; bounded by the process count all the same.
    const queue = [root];
    for (let i = 0; i < queue.length && i <= all.size; i++) {
      const pid = queue[i]!;
      const stat = all.get(pid);
      if (!stat) continue;
      tree.set(pid, stat.cpuMillis);
      queue.push(...(children.get(pid) ?? []));
    }
    trees.set(root, tree);
  }
  return trees;
}

/**
 * The command line of a process split into words; empty when it is gone. Split at spaces too:
 * some programs (Chromium's child processes) rewrite theirs as one space-separated string.
 */
export function commandLineOf(pid: number): string[] {
  return safeRead(`/proc/${pid}/cmdline`).split(/[\0 ]/).filter(Boolean);
}

export interface MachineInfo {
  nproc: number;
  cpu: string;
  ramMiB: number;
  node: string;
  os: string;
  commit: string;
  /** 1, 5 and 15 minute load averages when the report was written: the machine is shared. */
  loadAverage: number[];
}

/** What the numbers were measured on (the README quotes this). */
export function machineInfo(): MachineInfo {
  const cpuinfo = safeRead('/proc/cpuinfo');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'packages'], { encoding: 'utf8' }).trim();
    if (dirty) commit += '+dirty';
  } catch {
    // Not a git checkout: the commit stays unknown.
  }
  return {
    // The machine's cores, not the bench's share of them (--pin-cpus binds this process to one).
    nproc: os.cpus().length,
    cpu: model,
    ramMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    commit,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Resolves after `ms` (used only for paced load and bounded polling, never to wait for an outcome). */
export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `everyMs` until it returns true or `timeoutMs` passes; returns whether it
 * became true. The bound keeps a stuck run from hanging.
 */
export async function waitFor(check: () => boolean, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= deadline) return false;
    await delay(everyMs);
  }
  return true;
}

/** `waitFor` with an asynchronous check (one at a time) that throws at the deadline, saying `what` it waited for. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() >= deadline) throw new Error(`Timed out after ${timeoutMs / 1000} s: ${what}`);
    await delay(everyMs);
  }
}

/** Machine-wide CPU time so far from /proc/stat, in ticks: busy (everything but idle and iowait) and total. */
export function machineCpuTicks(): { busy: number; total: number } {
  const line = safeRead('/proc/stat').split('\n')[0] ?? '';
  const [, ...fields] = line.trim().split(/\s+/);
  const values = fields.map(Number);
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** CPU milliseconds used so far by each process with this command name (e.g. "postgres"), by PID. */
export function cpuMillisByCommand(command: string): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== command) continue;
    } catch {
      continue; // gone meanwhile
    }
    const millis = cpuMillisOf(Number(entry));
    if (!Number.isNaN(millis)) byPid.set(Number(entry), millis);
  }
  return byPid;
}

/** CPU used between two `cpuMillisByCommand` readings: new processes count whole, ended ones not at all. */
export function cpuMillisBetween(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, millis] of after) total += millis - (before.get(pid) ?? 0);
  return total;
}

/**
 * Waits (at most `timeoutSeconds`) until the machine has been mostly idle, under `maxBusyPercent`
 * over a 4-second window: others share it, and their load skews every number. Resolves with the
 * busy share of the last window, whether or not it got that low.
 */
export async function waitForQuietMachine(timeoutSeconds: number, maxBusyPercent = 30): Promise<number> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const before = machineCpuTicks();
    await delay(4000);
    const after = machineCpuTicks();
    const busy = ((after.busy - before.busy) / Math.max(1, after.total - before.total)) * 100;
    if (busy < maxBusyPercent || Date.now() >= deadline) return Math.round(busy);
  }
}
