import { spawn } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the real `npm start` (the script in package.json, on the built server and web client) on
 * a fresh data directory and a free port, as an operator would: nothing but PORT, HOST, DATA_DIR
 * and LOG_LEVEL set (and what a test adds on purpose, such as TLS_CERT), so the composition is
 * exactly the shipped default (SQLite, the built web client, default rate limits). The smoke
 * tests then talk to it over real HTTP(S) and WebSocket.
 */
export interface RunningParley {
  /** http://127.0.0.1:<port>, or https://… when started with a CA. */
  readonly baseUrl: string;
  /** What the process has written so far (stdout and stderr), for failure messages. */
  output(): string;
  /** Resolves once what the process writes from now on contains `text`; fails after 10 s. */
  waitForOutput(text: string): Promise<void>;
  /** Sends `signal` to the server's node process alone (npm in front of it would die of a SIGHUP). */
  signalServer(signal: NodeJS.Signals): void;
  /** The processes of the group `npm start` leads that are still running (npm, node, the Janus it started…). */
  processes(): GroupProcess[];
  /** Whether the process group has exited. */
  hasEnded(): boolean;
  /** SIGTERM to the whole process group, waits for every process in it to exit, removes the data directory. */
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const READY_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 15_000;
const OUTPUT_MAX_CHARS = 64 * 1024;
/** Environment a shell needs to run npm and node; everything else (DATABASE_URL, REDIS_URL, WEB_DIR, NODE_ENV, …) is left out. */
const PASSED_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LC_ALL', 'SystemRoot'];

export interface GroupProcess {
  pid: number;
  argv: string[];
}

export interface StartOptions {
  /** More environment (TLS_CERT, LOG_LEVEL, …), over the defaults below. */
  env?: Record<string, string>;
  /** A fixed port instead of a free one (no retry if it is taken). */
  port?: number;
  /** PEM certificate(s) to trust: the server is then reached over HTTPS (TLS_CERT in `env`). */
  ca?: string;
}

export async function startParley(options: StartOptions = {}): Promise<RunningParley> {
  for (const built of ['packages/server/dist/main.js', 'packages/web/dist/index.html']) {
    if (!fs.existsSync(path.join(repoRoot, built))) throw new Error(`${built} is missing: run \`npm run build\` before the smoke suite.`);
  }
  // A free port can be taken by someone else between our probe and the server's listen: then
  // the server exits at once with EADDRINUSE and we try another port (a bounded number of times).
  if (options.port !== undefined) return startOnPort(options.port, options);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOnPort(port, options);
    } catch (error) {
      if (attempt < 3 && error instanceof EarlyExit && error.output.includes('EADDRINUSE')) continue;
      throw error;
    }
  }
}

class EarlyExit extends Error {
  constructor(
    readonly output: string,
    how: string,
  ) {
    super(`\`npm start\` exited before it was ready (${how}). Its output:\n${output}`);
  }
}

async function startOnPort(port: number, options: StartOptions): Promise<RunningParley> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-smoke-'));
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_THROUGH) if (process.env[name] !== undefined) env[name] = process.env[name];
  Object.assign(env, { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, options.env);

  // Its own process group: npm runs the script through `sh -c`, and SIGTERM to npm alone does
  // not reach the node process below it, so teardown signals the whole group.
  const child = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  /** How many characters were ever written: waitForOutput looks only at what came after its call. */
  let written = 0;
  const outputWaiters = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    const text = chunk.toString();
    output = (output + text).slice(-OUTPUT_MAX_CHARS);
    written += text.length;
    for (const wake of outputWaiters) wake();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  // 'close' comes once npm has exited and every process holding its stdout/stderr (the server
  // included) has closed them: i.e. once the whole group is gone.
  const closed = new Promise<string>((resolve) => child.once('close', (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`)));
  const spawnFailed = new Promise<string>((resolve) => child.once('error', (error) => resolve(`spawn failed: ${error.message}`)));
  const ended = Promise.race([closed, spawnFailed]);
  let hasEnded = false;
  void ended.then(() => (hasEnded = true));

  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  // Should the test process die without teardown, take the server down with it.
  const onExit = () => killGroup('SIGKILL');
  process.once('exit', onExit);

  const stop = async () => {
    process.removeListener('exit', onExit);
    if (!hasEnded) {
      killGroup('SIGTERM');
      if ((await within(ended, STOP_DEADLINE_MS)) === null) {
        killGroup('SIGKILL');
        await within(ended, 5_000);
        fs.rmSync(dataDir, { recursive: true, force: true });
        throw new Error(`\`npm start\` did not exit within ${STOP_DEADLINE_MS} ms of SIGTERM; killed. Its output:\n${output}`);
      }
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const waitForOutput = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const from = written;
      const check = () => {
        const fresh = written === from ? '' : output.slice(-(written - from));
        if (!fresh.includes(text)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`\`npm start\` did not print "${text}" within 10 s. Its output:\n${output}`));
      }, 10_000);
      const done = () => {
        clearTimeout(timer);
        outputWaiters.delete(check);
      };
      outputWaiters.add(check);
      check();
    });

  const signalServer = (signal: NodeJS.Signals) => {
    // `node packages/server/dist/main.js`, not the `sh -c "node packages/…"` npm may start it through.
    const server = groupProcesses(child.pid!).find(({ argv }) => argv.includes('packages/server/dist/main.js'));
    if (!server) throw new Error(`No server process found under \`npm start\`. Its output:\n${output}`);
    process.kill(server.pid, signal);
  };

  const baseUrl = `${options.ca ? 'https' : 'http'}://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    const how = await Promise.race([ended, readyz(baseUrl, options.ca).then((ready) => (ready ? 'ready' : null))]);
    if (how === 'ready') break;
    if (how !== null) {
      await stop();
      throw new EarlyExit(output, how);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`\`npm start\` was not ready (GET /readyz) within ${READY_DEADLINE_MS} ms. Its output:\n${output}`);
    }
    // Readiness is polled (bounded by the deadline above), and an exit ends the wait at once.
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  return { baseUrl, output: () => output, waitForOutput, signalServer, processes: () => groupProcesses(child.pid!), hasEnded: () => hasEnded, stop };
}

/** The processes in the group `npm start` leads (npm, maybe a shell, node, Janus), found through /proc: Linux, where the smoke suite runs. */
function groupProcesses(groupId: number): GroupProcess[] {
  const found: GroupProcess[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name (in parentheses, which may hold spaces): state, ppid, pgrp.
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // A zombie has exited: only its parent has yet to hear of it.
      if (Number(pgrp) !== groupId || state === 'Z') continue;
      found.push({ pid: Number(entry), argv: fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0') });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

async function readyz(baseUrl: string, ca?: string): Promise<boolean> {
  if (ca) return httpsReadyz(baseUrl, ca);
  try {
    const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false; // not listening yet
  }
}

/** fetch has no way to trust one extra certificate, node:https has (`ca`). */
function httpsReadyz(baseUrl: string, ca: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = https.get(`${baseUrl}/readyz`, { ca, timeout: 2_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode === 200));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false)); // not listening yet
  });
}

/** A port free on 127.0.0.1 now (the caller may lose it to someone else before it binds). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The promise's value, or null if it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
