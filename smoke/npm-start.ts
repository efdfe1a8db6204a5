import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Runs the real `npm start` (the script in package.json, on the built server and web client) on
 * a fresh data directory and a free port, as an operator would: nothing but PORT, HOST, DATA_DIR
 * and LOG_LEVEL set, so the composition is exactly the shipped default (SQLite, the built web
 * client, default rate limits). The smoke tests then talk to it over real HTTP and WebSocket.
 */
export interface RunningParley {
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** What the process has written so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM to the whole process group, waits for every process in it to exit, removes the data directory. */
  stop(): Promise<void>;
}

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const READY_DEADLINE_MS = 30_000;
const STOP_DEADLINE_MS = 15_000;
const OUTPUT_MAX_CHARS = 64 * 1024;
/** Environment a shell needs to run npm and node; everything else (DATABASE_URL, REDIS_URL, WEB_DIR, NODE_ENV, …) is left out. */
const PASSED_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'LANG', 'LC_ALL', 'SystemRoot'];

export async function startParley(): Promise<RunningParley> {
  for (const built of ['packages/server/dist/main.js', 'packages/web/dist/index.html']) {
    if (!fs.existsSync(path.join(repoRoot, built))) throw new Error(`${built} is missing: run \`npm run build\` before the smoke suite.`);
  }
  // A free port can be taken by someone else between our probe and the server's listen: then
  // the server exits at once with EADDRINUSE and we try another port (a bounded number of times).
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return await startOnPort(port);
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

async function startOnPort(port: number): Promise<RunningParley> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-smoke-'));
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED_THROUGH) if (process.env[name] !== undefined) env[name] = process.env[name];
  Object.assign(env, { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });

  // Its own process group: npm runs the script through `sh -c`, and SIGTERM to npm alone does
  // not reach the node process below it, so teardown signals the whole group.
  const child = spawn('npm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_MAX_CHARS);
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

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_DEADLINE_MS;
  for (;;) {
    const how = await Promise.race([ended, readyz(baseUrl).then((ready) => (ready ? 'ready' : null))]);
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
  return { baseUrl, output: () => output, stop };
}

async function readyz(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false; // not listening yet
  }
}

function freePort(): Promise<number> {
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
