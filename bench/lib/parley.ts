import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type CpuPlan, delay, freePort, pinToCpus, rssOf } from './system';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
/** Where the server is built and run from unless a scenario says: BENCH_SERVER_ROOT (e.g. a checkout of HEAD, while this tree has work in progress), else this checkout. */
const SERVER_ROOT = process.env.BENCH_SERVER_ROOT ? path.resolve(process.env.BENCH_SERVER_ROOT) : REPO_ROOT;
const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Engine = 'sqlite' | 'postgres';

export interface DeploymentOptions {
  engine: Engine;
  /** Share events between nodes through Redis (REDIS_URL); needed for more than one node. */
  redis: boolean;
  nodes: number;
  /** Run the TypeScript sources through tsx instead of the esbuild bundle. */
  source: boolean;
  /** Write a V8 CPU profile per node into this directory when the node stops. */
  cpuProfDir: string | null;
  /** `--pin-cpus`: the node's cores and the bench's (one node only); null: the kernel places everything. */
  cpus: CpuPlan | null;
  /** Extra environment for the server (GATEWAY_HEARTBEAT_MS, …). */
  env: Record<string, string>;
  /** Port of the first node (the next nodes take the ports after it); null: free ports the OS picks. */
  port: number | null;
  /** Serve the web client (built first, like the server): browsers load it from the node. */
  web: boolean;
  /**
   * Another checkout of the repository to build and run the server from (a `git worktree` of an
   * older commit); default BENCH_SERVER_ROOT, else this one.
   */
  serverRoot?: string;
}

/** One running Parley server process. */
export interface ParleyNode {
  index: number;
  pid: number;
  port: number;
  baseUrl: string;
  gatewayUrl: string;
  rss(): number;
}

const children = new Set<ChildProcess>();
const dataDirs = new Set<string>();
// A bench that dies must not leave servers or data behind: they go with it (a PostgreSQL
// schema cannot be dropped this late; `bench_*` schemas left by a killed run are safe to drop).
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

const built = new Set<string>();
/** Bundles the server of a checkout once per bench run (what `npm start` runs). */
function buildServer(root: string): void {
  if (built.has(root)) return;
  execFileSync(process.execPath, ['scripts/build-server.mjs'], { cwd: root, stdio: 'inherit' });
  built.add(root);
}

/**
 * Where the measured web client is: BENCH_WEB_DIR (a client built beforehand, e.g. of an older
 * commit, to compare) or a build of this checkout into a temporary directory, never
 * packages/web/dist, which others' Playwright runs may be serving at the same time.
 */
let webDir: string | null = process.env.BENCH_WEB_DIR ? path.resolve(process.env.BENCH_WEB_DIR) : null;
/** Builds the web client once per bench run (Vite, as `npm run build` does), so browsers load the code being measured. */
function buildWeb(): string {
  if (webDir) return webDir;
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-web-'));
  dataDirs.add(outDir);
  execFileSync('npx', ['vite', 'build', 'packages/web', '--outDir', outDir, '--emptyOutDir'], { cwd: REPO_ROOT, stdio: ['ignore', process.stderr, 'inherit'] });
  webDir = outDir;
  return outDir;
}

/**
 * The storage of one benchmark run (a fresh SQLite directory or a fresh PostgreSQL schema) and
 * the server nodes on it. Nodes can be stopped and started again on the same storage (the
 * history scenario seeds the database in between). `dispose` removes everything.
 */
export class Deployment {
  readonly dataDir: string;
  readonly schema: string | null;
  nodes: ParleyNode[] = [];
  private readonly processes: ChildProcess[] = [];
  private readonly output: string[] = [];
  private webDir: string | null = null;

  constructor(readonly options: DeploymentOptions) {
    if (options.engine === 'sqlite' && options.nodes > 1) throw new Error('Several nodes need --db postgres (SQLite is one process)');
    if (options.nodes > 1 && !options.redis) throw new Error('Several nodes need --redis to share events');
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-bench-'));
    dataDirs.add(this.dataDir);
    this.schema = options.engine === 'postgres' ? `bench_${randomBytes(5).toString('hex')}` : null;
  }

  get sqliteFile(): string {
    return path.join(this.dataDir, 'parley.db');
  }

  /** Starts every node and waits until each answers /readyz (bounded). */
  async start(): Promise<ParleyNode[]> {
    if (!this.options.source) buildServer(this.options.serverRoot ?? SERVER_ROOT);
    if (this.options.web) this.webDir = buildWeb();
    this.nodes = [];
    for (let index = 0; index < this.options.nodes; index++) this.nodes.push(await this.startNode(index));
    return this.nodes;
  }

  /**
   * Stops one node with a signal (SIGKILL: it dies on the spot; SIGTERM: its graceful stop) and
   * waits until it has exited; how long that took. The soak kills and restarts nodes this way.
   */
  async stopNode(index: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<number> {
    const child = this.processes[index]!;
    const started = performance.now();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    }
    return performance.now() - started;
  }

  /** Starts a stopped node again, on its port and storage. */
  async restartNode(index: number): Promise<ParleyNode> {
    const node = await this.startNode(index, this.nodes[index]!.port);
    this.nodes[index] = node;
    return node;
  }

  private async startNode(index: number, reusePort?: number): Promise<ParleyNode> {
    const port = reusePort ?? (this.options.port === null ? await freePort() : this.options.port + index);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: this.dataDir,
      WEB_DIR: this.webDir ?? '',
      LOG_LEVEL: 'warn',
      WORKER_ID: String(index + 1),
      // Every bench user signs in from 127.0.0.1 and senders post far above a person's pace.
      AUTH_RATE_LIMIT_IP: '100000000/60',
      MESSAGE_RATE_LIMIT: '100000000/1',
      ...(this.options.engine === 'postgres' && { DATABASE_URL: POSTGRES_URL, DATABASE_SCHEMA: this.schema! }),
      ...(this.options.redis && { REDIS_URL }),
      // lib/sql-counter.cjs, preloaded through BENCH_SERVER_NODE_ARGS: where it writes.
      ...Object.fromEntries(['BENCH_SQL_COUNT_FILE', 'BENCH_SQL_TIMINGS_FILE'].flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : []))),
      ...this.options.env,
    };
    const nodeArgs: string[] = [];
    if (this.options.cpuProfDir) {
      fs.mkdirSync(this.options.cpuProfDir, { recursive: true });
      nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${this.options.cpuProfDir}`, `--cpu-prof-name=parley-node${index}-${Date.now()}.cpuprofile`);
    }
    if (process.env.BENCH_SERVER_NODE_ARGS) nodeArgs.push(...process.env.BENCH_SERVER_NODE_ARGS.split(' '));
    // BENCH_SERVER_ENTRY: the bundle under another name (a symlink), so a broad `pkill -f dist/main.js` elsewhere on a shared machine spares it.
    const entry = this.options.source ? ['--import', 'tsx', 'packages/server/src/main.ts'] : [process.env.BENCH_SERVER_ENTRY ?? 'packages/server/dist/main.js'];
    const child = spawn(process.execPath, [...nodeArgs, ...entry], { cwd: this.options.serverRoot ?? SERVER_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    this.processes[index] = child;
    if (this.options.cpus) pinToCpus(child.pid!, this.options.cpus.server);
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('exit', () => children.delete(child));
    const baseUrl = `http://127.0.0.1:${port}`;
    await this.waitUntilReady(child, baseUrl);
    const pid = child.pid!;
    return { index, pid, port, baseUrl, gatewayUrl: `ws://127.0.0.1:${port}/gateway?v=10&encoding=json`, rss: () => rssOf(pid) };
  }

  private async waitUntilReady(child: ChildProcess, baseUrl: string): Promise<void> {
    const deadline = Date.now() + 180_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`Parley exited with ${child.exitCode} on start:\n${this.recentOutput()}`);
      try {
        const response = await fetch(`${baseUrl}/readyz`);
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      await delay(100);
    }
    throw new Error(`Parley did not become ready within 180 s:\n${this.recentOutput()}`);
  }

  /**
   * Server output seen lately (warnings and errors: the nodes log at "warn"), less the expected
   * notice that no web client is served.
   */
  recentOutput(): string {
    return this.output
      .join('')
      .split('\n')
      .filter((line) => line.trim() && !line.includes('web client not built'))
      .join('\n')
      .slice(-8000);
  }

  /** Stops every node (SIGTERM, then SIGKILL after 20 s); CPU profiles are written on the way out. */
  async stop(): Promise<void> {
    await Promise.all(
      this.processes.splice(0).map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.nodes = [];
  }

  /** Stops the nodes and deletes the run's data: the temp directory and the PostgreSQL schema. */
  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
    dataDirs.delete(this.dataDir);
    if (this.schema) {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`drop schema if exists "${this.schema}" cascade`);
      } finally {
        await client.end();
      }
    }
  }
}
