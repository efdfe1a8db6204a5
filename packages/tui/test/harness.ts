import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What the terminal client's tests share: the real server as `npm start` runs it
 * (packages/server/dist: `npm run build` first) on SQLite in a temporary directory, its REST
 * API, and the client in a real terminal (a tmux server of the file's own, so files running in
 * parallel never touch each other's).
 */
const root = join(import.meta.dirname, '../../..');

export function harness(name: string, port: number) {
  const base = `http://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), `parley-tui-${name}-`));
  // A tmux server per client run: a new one never races an old one that is still shutting down.
  let runs = 0;
  let tmux = ['-L', `parley-tui-${name}-${process.pid}-${runs}`];
  let server: ChildProcess | null = null;

  async function api<T>(method: string, path: string, token: string | null, body?: unknown): Promise<T> {
    const form = body instanceof FormData;
    const res = await fetch(`${base}/api/v10${path}`, {
      method,
      headers: { ...(body !== undefined && !form && { 'content-type': 'application/json' }), ...(token && { authorization: token }) },
      ...(body !== undefined && { body: form ? body : JSON.stringify(body) }),
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (res.status === 204 ? null : await res.json()) as T;
  }

  async function until(check: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await Promise.resolve(check()).catch(() => false))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Starts the server (again, on the same data, after `stopServer`). */
  async function startServer(): Promise<void> {
    server = spawn(process.execPath, ['packages/server/dist/main.js'], {
      cwd: root,
      // Tests seed long histories and crowds through the API faster than people type.
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'debug', MESSAGE_RATE_LIMIT: '100000/1', AUTH_RATE_LIMIT_IP: '100000/60' },
      // Its log (JSON lines) is kept, for tests that check what the server did (serverLog).
      stdio: ['ignore', openSync(join(dir, 'server.log'), 'a'), 'ignore'],
    });
    await until(() => fetch(`${base}/readyz`).then((r) => r.ok), 'the server', 30_000);
  }

  async function stopServer(): Promise<void> {
    const running = server;
    server = null;
    if (!running || running.exitCode !== null) return;
    await new Promise((resolve) => {
      running.once('exit', resolve);
      running.kill('SIGTERM');
    });
  }

  /** The messages the server logged (all starts, oldest first). */
  const serverLog = () =>
    readFileSync(join(dir, 'server.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; session?: string });

  /** What the client wrote to stderr (a crash), for failure messages. */
  const clientLog = () => (existsSync(join(dir, 'client.log')) ? readFileSync(join(dir, 'client.log'), 'utf8') : '');

  const screen = (escapes = false) => {
    try {
      return execFileSync('tmux', [...tmux, 'capture-pane', '-p', ...(escapes ? ['-e'] : [])], { encoding: 'utf8' });
    } catch (error) {
      throw new Error(`No terminal to read (the client exited?): ${(error as Error).message}\nClient's stderr:\n${clientLog()}`);
    }
  };

  /** Polls the screen until `check` holds (or it shows `text`), within a bounded time. */
  async function waitFor(text: string | ((shown: string) => boolean), ms = 15_000): Promise<string> {
    const deadline = Date.now() + ms;
    const check = typeof text === 'string' ? (shown: string) => shown.includes(text) : text;
    for (;;) {
      const shown = screen();
      if (check(shown)) return shown;
      if (Date.now() > deadline) throw new Error(`Not on screen after ${ms} ms: ${String(text)}\n${shown}\nClient's stderr:\n${clientLog()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Types text as keys (literally), then optional named keys (`Enter`, `PageUp`, `C-s`…). */
  function type(text: string, ...keys: string[]): void {
    if (text) execFileSync('tmux', [...tmux, 'send-keys', '-l', text]);
    for (const key of keys) execFileSync('tmux', [...tmux, 'send-keys', key]);
  }

  /** Runs the client in an 80×24 terminal, signed in with a password given on standard input. */
  function startClient(username: string, password: string, server = base): void {
    writeFileSync(join(dir, 'pw'), `${password}\n`);
    run(`--server ${server} --username ${username} --password-stdin < ${dir}/pw`);
  }

  /**
   * Runs the client with these options (in a terminal of its own: a client already running is
   * stopped), its saved session and pinned certificates in `config` (XDG_CONFIG_HOME).
   */
  function run(options: string, config = dir): void {
    stopClient();
    tmux = ['-L', `parley-tui-${name}-${process.pid}-${++runs}`];
    execFileSync('tmux', [
      ...tmux,
      'new-session',
      '-d',
      '-x',
      '80',
      '-y',
      '24',
      // ink draws nothing under CI=true: the client runs as a user would.
      `cd ${root} && env -u CI XDG_CONFIG_HOME=${config} node packages/tui/bin/parley-chat.mjs ${options} 2>> ${dir}/client.log`,
    ]);
    // The window keeps the size a test gives it, whatever tmux's clients would say.
    execFileSync('tmux', [...tmux, 'set-option', '-g', 'window-size', 'manual']);
  }

  function stopClient(): void {
    try {
      execFileSync('tmux', [...tmux, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // None running.
    }
  }

  function resize(columns: number, rows: number): void {
    execFileSync('tmux', [...tmux, 'resize-window', '-x', String(columns), '-y', String(rows)]);
  }

  async function close(): Promise<void> {
    stopClient();
    // tmux leaves its sockets behind.
    for (let n = 0; n <= runs; n++) rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, `parley-tui-${name}-${process.pid}-${n}`), { force: true });
    await stopServer();
  }

  return { base, dir, api, until, startServer, stopServer, serverLog, screen, waitFor, type, startClient, run, resize, close };
}

/**
 * A TCP relay in front of the server that can cut the line: every connection through it is
 * dropped and new ones refused until `restore` (a network drop, as far as the client can tell).
 * It can also refuse only WebSocket upgrades (`gateway(false)`), so REST gets through while the
 * gateway cannot: the order in which a client gets back its two connections, made deterministic.
 */
export async function relay(port: number, target: number) {
  const sockets = new Set<net.Socket>();
  let listener: net.Server | null = null;
  let upgrades = true;
  const listen = () =>
    new Promise<void>((resolve) => {
      listener = net.createServer((client) => {
        const upstream = net.connect(target, '127.0.0.1');
        // Either end gone (a refused upstream too) takes the other with it, as a proxy would.
        for (const [socket, peer] of [
          [client, upstream],
          [upstream, client],
        ] as const) {
          sockets.add(socket);
          socket.on('close', () => {
            sockets.delete(socket);
            peer.destroy();
          });
          socket.on('error', () => undefined);
        }
        upstream.pipe(client);
        client.once('data', (first: Buffer) => {
          if (!upgrades && /^upgrade:\s*websocket/im.test(first.toString('latin1'))) return client.destroy();
          upstream.write(first);
          client.pipe(upstream);
        });
      });
      listener.listen(port, '127.0.0.1', resolve);
    });
  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    async cut(): Promise<void> {
      // close() waits for the open connections, so they are destroyed first.
      const closed = new Promise((resolve) => (listener ? listener.close(resolve) : resolve(undefined)));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    restore: listen,
    /** Lets WebSocket upgrades through again (true), or refuses them (false). */
    gateway(allowed: boolean): void {
      upgrades = allowed;
    },
  };
}
