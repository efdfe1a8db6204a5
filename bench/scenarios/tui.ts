import { routes, snowflakeTimestamp } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BenchOptions } from '../lib/options';
import { Deployment, REPO_ROOT } from '../lib/parley';
import { progress } from '../lib/parley-target';
import { type ScenarioReport, type TargetCheck, printTable, target } from '../lib/report';
import { type BenchUser, createGuild, mapConcurrent } from '../lib/setup';
import { Samples, monoMicros, round } from '../lib/stats';
import { cpuMillisBetween, cpuMillisOf, cpuMillisOfTrees, delay, machineCpuTicks, machineInfo, rssOf } from '../lib/system';

type TuiOptions = BenchOptions['tui'];

/** The bench's own tmux server (its socket name): never the user's. */
const TMUX_SOCKET = 'parley-bench-tui';
const PASSWORD = 'bench password for the tui';
const STAMPER = path.join(REPO_ROOT, 'bench/lib/tui-stamp.mjs');
const run = promisify(execFile);

/** `tmux -L parley-bench-tui …`, waited for. */
const tmux = (...args: string[]) => run('tmux', ['-L', TMUX_SOCKET, ...args], { encoding: 'utf8' });

function killTmux(): void {
  try {
    execFileSync('tmux', ['-L', TMUX_SOCKET, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // No server on that socket.
  }
}

let workDir: string | null = null;
// An interrupted or timed-out bench takes its terminals (and their clients: tmux hangs them up) and files with it.
process.on('exit', () => {
  killTmux();
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
});

/** One terminal client in its own tmux session (its own terminal, 80×24). */
interface Client {
  index: number;
  username: string;
  session: string;
  configDir: string;
  traceFile: string;
  launchedAt: number;
  pid: number;
  /** From its trace: µs on CLOCK_MONOTONIC when each marker was first written to its terminal. */
  seen: Map<string, number>;
  traceBytes: number;
}

/** New lines of a client's trace file (`<µs> <id>`) into `seen`. */
function readTrace(file: string, from: number, seen: Map<string, number>): number {
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= from) return from;
      const buffer = Buffer.alloc(size - from);
      fs.readSync(fd, buffer, 0, buffer.length, from);
      text = buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return from; // not created yet
  }
  const end = text.lastIndexOf('\n') + 1; // a line still being written is read next time
  for (const line of text.slice(0, end).split('\n')) {
    const [at, id] = line.split(' ');
    if (at && id && !seen.has(id)) seen.set(id, Number(at));
  }
  return from + Buffer.byteLength(text.slice(0, end));
}

const update = (client: Client) => (client.traceBytes = readTrace(client.traceFile, client.traceBytes, client.seen));

/**
 * Terminal clients (issue: "100 terminal-client processes in one channel, message typed →
 * rendered on the others' screens, p99"). `--clients` (100) real `parley-chat` processes, each in
 * its own tmux session of 80×24 on a dedicated tmux server, signed in with a password as a
 * person would, all in one channel of a real server on loopback. `--typists` of them take turns
 * typing `--typed` messages at `--typed-rate` per second: the text through `tmux send-keys -l`,
 * then Enter. Each client runs with PARLEY_TUI_TRACE (packages/tui/src/trace.ts): when bytes
 * written to its terminal first contain a message's `[[id]]`, it logs the monotonic time right
 * after the write returned. Latency = that time − the time just before `send-keys Enter` was
 * written to a tmux control-mode client, for every (message, other client) pair. A few panes are also piped by tmux to a
 * stamping process (`pipe-pane`), an independent view of when the bytes came out of the pty.
 */
export async function tuiScenario(options: BenchOptions): Promise<ScenarioReport> {
  const o = options.tui;
  const startedAt = new Date();
  const notes: string[] = [];
  const watchdog = setTimeout(() => {
    console.error(`tui: the run took over ${o.timeoutSeconds} s; stopping (terminals, clients and server are removed on exit)`);
    process.exit(3);
  }, o.timeoutSeconds * 1000);
  watchdog.unref();
  killTmux(); // a server left by a killed run on this socket
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-tui-'));
  const deployment = new Deployment({ ...options.deployment, nodes: 1 });
  try {
    const [node] = await deployment.start();
    const baseUrl = node!.baseUrl;

    progress(`registering ${o.clients} users (username and password), one guild, everyone joins through an invite`);
    const anonymous = new RestClient({ baseUrl });
    const names = Array.from({ length: o.clients }, (_, i) => `tb${String(i).padStart(3, '0')}`);
    const users = await mapConcurrent(names, 4, async (username): Promise<BenchUser> => {
      const { token, user_id } = await anonymous.request(routes.auth.register, { body: { username, password: PASSWORD } });
      return { id: user_id, token };
    });
    const guild = await createGuild(baseUrl, users[0]!, users.slice(1), 'tui bench');
    // What a client shows once it has opened the channel and drawn its history: its first screen.
    await new RestClient({ baseUrl, token: users[0]!.token }).request(routes.messages.create, {
      params: { channel_id: guild.channelId },
      body: { content: 'Welcome to the bench [[ready]]' },
    });
    const passwordFile = path.join(workDir, 'password');
    fs.writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });

    const startup = await launchClients(baseUrl, names, passwordFile, o);
    const { clients } = startup;
    const dead = await deadPanes();
    if (dead.length) throw new Error(`${dead.length} client(s) exited: ${dead.join(', ')}`);
    progress(`all ${o.clients} clients on their first screen after ${startup.allReadySeconds} s; ${o.pauseSeconds} s idle`);
    // Idle: everyone connected and drawn, nobody typing (the clients redraw every 2 s on their own).
    const idleRoots = [node!.pid, ...clients.map((c) => c.pid)];
    const idleBefore = cpuMillisOfTrees(idleRoots);
    const idleMachineBefore = machineCpuTicks();
    const idleStart = performance.now();
    await delay(o.pauseSeconds * 1000);
    const idleAfter = cpuMillisOfTrees(idleRoots);
    const idleMachineAfter = machineCpuTicks();
    const idleMs = performance.now() - idleStart;
    const idleClients = clients.reduce((sum, c) => sum + cpuMillisBetween(idleBefore.get(c.pid)!, idleAfter.get(c.pid)!), 0);
    const idle = {
      seconds: round(idleMs / 1000, 1),
      serverPercent: round((cpuMillisBetween(idleBefore.get(node!.pid)!, idleAfter.get(node!.pid)!) / idleMs) * 100, 1),
      clientsPercent: round((idleClients / idleMs) * 100, 1),
      machineBusyPercent: round(((idleMachineAfter.busy - idleMachineBefore.busy) / Math.max(1, idleMachineAfter.total - idleMachineBefore.total)) * 100, 1),
    };

    // The typists, spread over the clients; a few other panes get the independent pipe-pane stamp.
    const typists = Array.from({ length: o.typists }, (_, i) => clients[Math.floor((i * o.clients) / o.typists)]!);
    const checked = clients.filter((c) => !typists.includes(c)).slice(0, o.checkPanes);
    const stampFiles = new Map<Client, string>();
    for (const client of checked) {
      const file = path.join(workDir, `${client.session}.stamp`);
      await tmux('pipe-pane', '-O', '-t', client.session, `exec ${shellQuote(process.execPath)} ${shellQuote(STAMPER)} ${shellQuote(file)}`);
      stampFiles.set(client, file);
    }
    await delay(500);

    const tmuxPid = Number((await tmux('display-message', '-p', '#{pid}')).stdout.trim());
    const roots = [node!.pid, ...clients.map((c) => c.pid)];
    const cpuBefore = cpuMillisOfTrees(roots);
    const tmuxBefore = cpuMillisOf(tmuxPid);
    const machineBefore = machineCpuTicks();
    const windowStart = performance.now();

    progress(`${o.typists} typists type ${o.typed} messages at ${o.typedRate}/s into their terminals`);
    // Message IDs carry the server's wall clock (ms): this maps it onto the monotonic clock.
    const wallMinusMonoMicros = Date.now() * 1000 - monoMicros();
    const keyboard = await Keyboard.open(clients[0]!.session);
    const typed = await typeMessages(keyboard, typists, o).finally(() => keyboard.close());
    const windowSeconds = (performance.now() - windowStart) / 1000;
    const cpuAfter = cpuMillisOfTrees(roots);
    const tmuxAfter = cpuMillisOf(tmuxPid);
    const machineAfter = machineCpuTicks();

    progress('waiting for the last messages to be drawn');
    const drainStart = performance.now();
    const allDrawn = () =>
      typed.every((m) =>
        clients.every((c) => {
          update(c);
          return c === m.typist || c.seen.has(m.id);
        }),
      );
    while (!allDrawn() && performance.now() - drainStart < o.drainSeconds * 1000) await delay(100);

    // Every (message, other client) pair: typed → first written to that client's terminal.
    const latency = new Samples();
    const perClient = new Samples();
    let missing = 0;
    const missingByClient = new Map<string, number>();
    for (const c of clients) {
      update(c);
      const own = new Samples();
      for (const m of typed) {
        if (m.typist === c) continue;
        const at = c.seen.get(m.id);
        if (at === undefined || m.enterAt === null) {
          missing++;
          missingByClient.set(c.username, (missingByClient.get(c.username) ?? 0) + 1);
          continue;
        }
        latency.add((at - m.enterAt) / 1000);
        own.add((at - m.enterAt) / 1000);
      }
      if (own.count) perClient.add(own.percentile(50));
    }
    const expected = typed.length * (o.clients - 1);

    // Where the time went: Enter → the server created the message (the typist's client took the
    // key, its POST was answered; from the message ID's timestamp, ms resolution) and created →
    // drawn on each other terminal (gateway fan-out, the receiving client's render and write).
    const history = await new RestClient({ baseUrl, token: users[0]!.token }).request(routes.messages.list, { params: { channel_id: guild.channelId }, query: { limit: 100 } });
    const createdAt = new Map<string, number>();
    for (const message of history) {
      const id = /\[\[(m\d+)\]\]/.exec(message.content ?? '')?.[1];
      if (id) createdAt.set(id, snowflakeTimestamp(message.id) * 1000 - wallMinusMonoMicros);
    }
    const enterToCreated = new Samples();
    const createdToRendered = new Samples();
    const perMessage = typed.map((m) => {
      const created = createdAt.get(m.id);
      const drawn = new Samples();
      for (const c of clients) {
        const at = c.seen.get(m.id);
        if (c === m.typist || at === undefined || m.enterAt === null) continue;
        drawn.add((at - m.enterAt) / 1000);
        if (created !== undefined) createdToRendered.add((at - created) / 1000);
      }
      const toCreated = created === undefined || m.enterAt === null ? null : round((created - m.enterAt) / 1000, 1);
      if (toCreated !== null) enterToCreated.add(toCreated);
      return { id: m.id, typist: m.typist.username, enterToCreated: toCreated, drawnP50: round(drawn.percentile(50), 1), drawnMax: round(drawn.max, 1) };
    });
    const typedToRendered = { ...latency.summary(), p95: round(latency.percentile(95)) };

    // The hook's time against tmux's own reading of the pty, for the piped panes.
    const hookVsTmux = new Samples();
    let hookAfterTmux = 0;
    let leastTmuxMinusHook = Number.POSITIVE_INFINITY;
    for (const [client, file] of stampFiles) {
      const stamped = new Map<string, number>();
      readTrace(file, 0, stamped);
      for (const m of typed) {
        const hook = client.seen.get(m.id);
        const tmuxRead = stamped.get(m.id);
        if (hook === undefined || tmuxRead === undefined) continue;
        hookVsTmux.add((tmuxRead - hook) / 1000);
        leastTmuxMinusHook = Math.min(leastTmuxMinusHook, (tmuxRead - hook) / 1000);
        if (tmuxRead < hook) hookAfterTmux++;
      }
    }
    // What a pane shows at the end (tmux's own screen): the last message should be on it.
    const lastScreen = (await tmux('capture-pane', '-p', '-t', checked[0]?.session ?? clients[1]!.session)).stdout;
    const lastOnScreen = typed.length > 0 && lastScreen.includes(`[[${typed.at(-1)!.id}]]`);
    if (!lastOnScreen) notes.push(`the last message's marker was not on the screen of ${checked[0]?.session} at the end:\n${lastScreen}`);

    const cpuPercent = (root: number) => round((cpuMillisBetween(cpuBefore.get(root)!, cpuAfter.get(root)!) / (windowSeconds * 1000)) * 100, 1);
    const clientsCpu = clients.reduce((sum, c) => sum + cpuPercent(c.pid), 0);
    const cpu = {
      windowSeconds: round(windowSeconds, 1),
      serverPercent: cpuPercent(node!.pid),
      clientsPercent: round(clientsCpu, 1),
      perClientPercent: round(clientsCpu / clients.length, 2),
      tmuxPercent: round(((tmuxAfter - tmuxBefore) / (windowSeconds * 1000)) * 100, 1),
      machineBusyPercent: round(((machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total)) * 100, 1),
    };
    const rss = clients.map((c) => rssOf(c.pid) / 2 ** 20).filter((v) => !Number.isNaN(v));
    const memory = {
      serverRssMiB: round(node!.rss() / 2 ** 20, 1),
      clientRssMiBMean: round(rss.reduce((a, b) => a + b, 0) / Math.max(1, rss.length), 1),
      clientRssMiBMax: round(Math.max(...rss), 1),
    };
    const sendLag = new Samples();
    const enterCommand = new Samples();
    for (const m of typed) {
      if (m.enterAt !== null) sendLag.add((m.enterAt - m.scheduledAt) / 1000);
      if (m.enterDoneAt !== null && m.enterAt !== null) enterCommand.add((m.enterDoneAt - m.enterAt) / 1000);
    }

    printTable('Startup: tmux new-session → the client wrote its first screen with the channel history', [
      {
        clients: o.clients,
        'at once': o.launchConcurrency,
        'all ready (s)': startup.allReadySeconds,
        'p50 (ms)': startup.firstScreen.p50,
        'p90 (ms)': startup.firstScreen.p90,
        'max (ms)': startup.firstScreen.max,
        'first write p50 (ms)': startup.firstWrite.p50,
        'machine %': startup.machineBusyPercent,
      },
    ]);
    printTable(`Typed (tmux send-keys Enter) → written to the other ${o.clients - 1} terminals (ms)`, [
      {
        messages: typed.length,
        pairs: expected,
        missing,
        p50: typedToRendered.p50,
        p90: typedToRendered.p90,
        p95: typedToRendered.p95,
        p99: typedToRendered.p99,
        max: typedToRendered.max,
        'median client p50': round(perClient.percentile(50)),
        'worst client p50': round(perClient.max),
        'Enter in tmux p50': enterCommand.summary().p50,
      },
    ]);
    printTable('Where the time went (ms): Enter → message created on the server (its ID) → written to the other terminals', [
      { part: 'Enter → created', count: enterToCreated.count, ...pick(enterToCreated.summary()) },
      { part: 'created → written', count: createdToRendered.count, ...pick(createdToRendered.summary()) },
    ]);
    printTable('CPU while idle, before the typing (% of one core)', [{ ...idle }]);
    printTable('CPU while typing (% of one core)', [{ ...cpu }]);
    printTable('Cross-check: tmux read the pty (pipe-pane stamp) − the hook logged the write (ms)', [
      { panes: stampFiles.size, pairs: hookVsTmux.count, min: round(leastTmuxMinusHook), ...pick(hookVsTmux.summary()), 'stamp before hook': hookAfterTmux },
    ]);
    const output = deployment.recentOutput();
    if (output) notes.push(`server output: ${output.slice(-2000)}`);
    if (missing) notes.push(`missing deliveries by client: ${JSON.stringify(Object.fromEntries(missingByClient))}`);
    if (cpu.machineBusyPercent > 90) notes.push(`machine ${cpu.machineBusyPercent}% busy while typing: the clients competed for the two cores (or others' work did)`);

    const targets: TargetCheck[] = [
      target('deliveries drawn on the other terminals', `all ${expected}`, expected - missing, 'pairs', (v) => v === expected),
      { name: 'typed → rendered on the others’ screens, p99', threshold: 'none (the issue asks for the figure)', value: typedToRendered.p99, unit: 'ms', pass: null },
    ];
    return {
      scenario: 'tui',
      startedAt: startedAt.toISOString(),
      durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      machine: machineInfo(),
      server: { engine: options.deployment.engine, nodes: 1, redis: false, target: `parley + ${o.clients} parley-chat in tmux` },
      params: { ...o, terminal: '80x24', tmux: (await run('tmux', ['-V'], { encoding: 'utf8' })).stdout.trim() },
      results: {
        startup: { allReadySeconds: startup.allReadySeconds, machineBusyPercent: startup.machineBusyPercent, firstScreen: startup.firstScreen, firstWrite: startup.firstWrite },
        typedToRendered,
        expected,
        missing,
        perClientP50: { median: round(perClient.percentile(50)), worst: round(perClient.max) },
        enterToCreated: enterToCreated.summary(),
        createdToRendered: { ...createdToRendered.summary(), p95: round(createdToRendered.percentile(95)) },
        perMessage,
        enterLagBehindSchedule: sendLag.summary(),
        enterCommand: enterCommand.summary(),
        idleCpu: idle,
        cpu,
        memory,
        crossCheck: { panes: stampFiles.size, tmuxMinusHook: { ...hookVsTmux.summary(), min: round(leastTmuxMinusHook) }, stampBeforeHook: hookAfterTmux, lastOnScreen },
      },
      targets,
      notes,
    };
  } finally {
    clearTimeout(watchdog);
    killTmux();
    await deployment.dispose();
    fs.rmSync(workDir, { recursive: true, force: true });
    workDir = null;
  }
}

/**
 * Starts a client per user, each in a tmux session of its own (80×24), at most `launchConcurrency`
 * still starting at a time, and waits for each one's first screen: the trace shows `[[ready]]`
 * (the channel's history drawn). Bounded by `--startup-seconds`.
 */
async function launchClients(baseUrl: string, names: string[], passwordFile: string, o: TuiOptions) {
  const clients: Client[] = [];
  const machineStart = machineCpuTicks();
  const started = performance.now();
  const deadline = started + o.startupSeconds * 1000;
  const starting = new Set<Client>();
  let next = 0;
  let reported = 0;
  while (next < names.length || starting.size > 0) {
    if (performance.now() > deadline) throw new Error(`Not every client reached its first screen within ${o.startupSeconds} s (${clients.length - starting.size} of ${names.length})`);
    for (const client of starting) {
      update(client);
      if (client.seen.has('ready')) starting.delete(client);
    }
    const ready = clients.length - starting.size;
    if (ready >= reported + 10) progress(`${(reported = ready - (ready % 10))} clients on their first screen`);
    while (next < names.length && starting.size < o.launchConcurrency) {
      const index = next++;
      const client = await launch(baseUrl, index, names[index]!, passwordFile, o.clientEnv);
      clients.push(client);
      starting.add(client);
    }
    await delay(20);
  }
  const machine = machineCpuTicks();
  const firstScreen = new Samples();
  const firstWrite = new Samples();
  for (const c of clients) {
    firstScreen.add((c.seen.get('ready')! - c.launchedAt) / 1000);
    const first = c.seen.get('first-frame');
    if (first !== undefined) firstWrite.add((first - c.launchedAt) / 1000);
  }
  return {
    clients,
    allReadySeconds: round((performance.now() - started) / 1000, 1),
    machineBusyPercent: round(((machine.busy - machineStart.busy) / Math.max(1, machine.total - machineStart.total)) * 100, 1),
    firstScreen: firstScreen.summary(),
    firstWrite: firstWrite.summary(),
  };
}

async function launch(baseUrl: string, index: number, username: string, passwordFile: string, clientEnv: Record<string, string>): Promise<Client> {
  const session = `c${String(index).padStart(3, '0')}`;
  const configDir = path.join(workDir!, session);
  fs.mkdirSync(configDir, { mode: 0o700 });
  const traceFile = path.join(workDir!, `${session}.trace`);
  // exec: the pane's process is the client itself. env -u CI: ink draws nothing when CI is set.
  const command = [
    'exec env -u CI',
    `XDG_CONFIG_HOME=${shellQuote(configDir)}`,
    `PARLEY_TUI_TRACE=${shellQuote(traceFile)}`,
    ...Object.entries(clientEnv).map(([key, value]) => `${key}=${shellQuote(value)}`),
    shellQuote(process.execPath),
    // e.g. BENCH_TUI_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/profiles": a CPU profile per client.
    process.env.BENCH_TUI_NODE_ARGS ?? '',
    'packages/tui/bin/parley-chat.mjs',
    `--server ${baseUrl} --username ${username} --password-stdin < ${shellQuote(passwordFile)}`,
  ].join(' ');
  const launchedAt = monoMicros();
  // One tmux server for every session (-f /dev/null: none of the user's configuration); a client
  // that exits leaves its pane and last screen (remain-on-exit) for the report.
  const { stdout } = await run(
    'tmux',
    [
      '-L',
      TMUX_SOCKET,
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-P',
      '-F',
      '#{pane_pid}',
      '-s',
      session,
      '-x',
      '80',
      '-y',
      '24',
      '-c',
      REPO_ROOT,
      command,
      ';',
      'set-option',
      '-g',
      '-w',
      'remain-on-exit',
      'on',
    ],
    { encoding: 'utf8' },
  );
  return { index, username, session, configDir, traceFile, launchedAt, pid: Number(stdout.trim()), seen: new Map(), traceBytes: 0 };
}

/** Sessions whose client has exited (remain-on-exit keeps the pane), with the end of their screen. */
async function deadPanes(): Promise<string[]> {
  const { stdout } = await tmux('list-panes', '-a', '-F', '#{session_name} #{pane_dead}');
  const dead = stdout
    .split('\n')
    .filter((line) => line.endsWith(' 1'))
    .map((line) => line.split(' ')[0]!);
  return Promise.all(dead.map(async (session) => `${session}: ${(await tmux('capture-pane', '-p', '-t', session)).stdout.trim().slice(-300)}`));
}

/**
 * The typists' keyboard: one tmux control-mode client (`tmux -C`, attached with ignore-size and
 * no-output, so it changes no pane's size and receives no pane output) that takes `send-keys`
 * commands on its standard input. No process is started per key press, so the time taken just
 * before a command is written is within a fraction of a millisecond of tmux writing the key to
 * the pane's pty. Replies (`%end` / `%error`) come in order.
 */
class Keyboard {
  private readonly waiting: ((ok: boolean) => void)[] = [];
  private buffer = '';

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      this.buffer += chunk;
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        // The attach itself is answered first, before any command of ours.
        if (line.startsWith('%end') || line.startsWith('%error')) this.waiting.shift()?.(line.startsWith('%end'));
      }
    });
  }

  static async open(session: string): Promise<Keyboard> {
    const child = spawn('tmux', ['-L', TMUX_SOCKET, '-C', 'attach-session', '-t', session, '-f', 'ignore-size,no-output'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const keyboard = new Keyboard(child);
    const attached = new Promise<boolean>((resolve) => keyboard.waiting.push(resolve));
    if (!(await Promise.race([attached, delay(10_000).then(() => false)]))) throw new Error('tmux control client did not attach');
    return keyboard;
  }

  /** Writes one tmux command (quoted by the caller) and resolves once tmux has run it. */
  command(line: string): Promise<boolean> {
    const done = new Promise<boolean>((resolve) => this.waiting.push(resolve));
    this.child.stdin!.write(`${line}\n`);
    return Promise.race([done, delay(10_000).then(() => false)]);
  }

  close(): void {
    this.child.stdin!.end();
    this.child.kill();
  }
}

interface Typed {
  id: string;
  typist: Client;
  /** µs (CLOCK_MONOTONIC) when this message's Enter was planned, and just before `tmux send-keys Enter` was started. */
  scheduledAt: number;
  enterAt: number | null;
  /** When tmux answered that `send-keys Enter` (the key is in the pane's pty by then). */
  enterDoneAt: number | null;
}

/**
 * Open loop: message i is typed at start + i / rate, by typist i mod typists: its text through
 * `tmux send-keys -l` (the client receives the keys as typed), then after `--enter-delay-ms` the
 * Enter key. A typist's previous message is long sent by its next turn.
 */
async function typeMessages(keyboard: Keyboard, typists: Client[], o: TuiOptions): Promise<Typed[]> {
  const typed: Typed[] = [];
  const start = performance.now() + 200;
  const startMono = monoMicros() + 200_000;
  const tasks: Promise<void>[] = [];
  for (let i = 0; i < o.typed; i++) {
    const at = start + (i * 1000) / o.typedRate;
    await delay(Math.max(0, at - performance.now()));
    const typist = typists[i % typists.length]!;
    const message: Typed = { id: `m${i}`, typist, scheduledAt: startMono + (i * 1e6) / o.typedRate + o.enterDelayMs * 1000, enterAt: null, enterDoneAt: null };
    typed.push(message);
    tasks.push(
      (async () => {
        // Plain words: nothing tmux's command parser or the Markdown parser would take as syntax.
        await keyboard.command(`send-keys -t ${typist.session} -l 'message ${i} from ${typist.username}, typed in a terminal [[${message.id}]]'`);
        await delay(Math.max(0, at + o.enterDelayMs - performance.now()));
        message.enterAt = monoMicros();
        if (await keyboard.command(`send-keys -t ${typist.session} Enter`)) message.enterDoneAt = monoMicros();
      })(),
    );
  }
  await Promise.all(tasks);
  return typed;
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

const pick = ({ p50, p90, p99, max }: { p50: number; p90: number; p99: number; max: number }) => ({ p50, p90, p99, max });
