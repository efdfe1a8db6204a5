import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParleyClient, RestClient, connect } from '@parley/sdk';
import WebSocket from 'ws';
import { TEST_DATABASE_URL, dropSchema } from './databases';
import { TEST_REDIS_URL, connectTestRedis, deleteKeys, testRedisPrefix } from './redis';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const STARTUP_TIMEOUT_MS = 30_000;

/** One real server process of a cluster. */
export interface ClusterNode {
  name: string;
  /** http://127.0.0.1:<port> */
  url: string;
  /** ws://127.0.0.1:<port>/gateway */
  gatewayUrl: string;
  /** False once killed or stopped. */
  alive: boolean;
  /** What the process printed (warnings and errors, at LOG_LEVEL=warn): shown when a test fails. */
  output(): string;
  /** A REST client for this node, optionally signed in. */
  client(token?: string | null): RestClient;
  /** A signed-in client with its gateway connected to this node (READY received); closed with the cluster. */
  connect(token: string): Promise<ParleyClient>;
  /** kill -9: the process dies on the spot, cleaning nothing up. */
  kill(): Promise<void>;
  /** SIGTERM, the graceful stop; killed if still running after `killAfterMs`. Resolves with its exit code once it has exited. */
  stop(killAfterMs?: number): Promise<number | null>;
}

export interface Cluster {
  nodes: ClusterNode[];
  /** The Redis key prefix the nodes share. */
  redisPrefix: string;
  /** Stops every node that is still running, then deletes the database schema and Redis keys. */
  close(): Promise<void>;
}

/**
 * Several real Parley processes (`node --import tsx src/main.ts`) sharing one fresh PostgreSQL
 * schema and one Redis prefix, each on its own free port: what a multi-node deployment runs.
 * The first node migrates the schema before the others start. Every process is killed by close(),
 * and also if the test process exits without calling it.
 */
export async function startCluster(options: { nodes: number; env?: Record<string, string> }): Promise<Cluster> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const redisPrefix = testRedisPrefix();
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-cluster-'));
  const nodes: ReturnType<typeof spawnNode>[] = [];
  const killAll = () => {
    for (const node of nodes) if (node.alive) node.process.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const connected: ParleyClient[] = [];
  const start = async (index: number) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: schema,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: redisPrefix,
      LOG_LEVEL: 'warn',
      AUTH_RATE_LIMIT_IP: '10000/60',
      ...options.env,
    };
    delete env.WORKER_ID; // each node leases its own from Redis
    const node = spawnNode(`node ${String.fromCharCode(65 + index)}`, env, connected);
    nodes.push(node);
    await node.ready;
  };
  const close = async () => {
    for (const client of connected) client.gateway.close();
    await Promise.all(nodes.map((node) => node.stop()));
    process.off('exit', killAll);
    await dropSchema(schema);
    const redis = await connectTestRedis();
    await deleteKeys(redis, redisPrefix);
    await redis.quit();
    await fs.rm(dataDir, { recursive: true, force: true });
  };
  try {
    await start(0);
    await Promise.all(Array.from({ length: options.nodes - 1 }, (_, i) => start(i + 1)));
  } catch (error) {
    await close();
    throw error;
  }
  return { nodes, redisPrefix, close };
}

function spawnNode(name: string, env: Record<string, string | undefined>, connected: ParleyClient[]) {
  const url = `http://127.0.0.1:${env.PORT}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'packages/server/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const node = {
    name,
    url,
    gatewayUrl: `ws://127.0.0.1:${env.PORT}/gateway`,
    alive: true,
    process: child,
    output: () => output,
    client: (token: string | null = null) => new RestClient({ baseUrl: url, token }),
    connect: async (token: string) => {
      const client = await connect({ baseUrl: url, token, WebSocket: WebSocket as never, backoff: { initialMs: 20, maxMs: 200 } });
      connected.push(client);
      return client;
    },
    kill: async () => {
      node.alive = false;
      child.kill('SIGKILL');
      await exited;
    },
    /** Asks the node to shut down (SIGTERM), and kills it if it has not within a few seconds. */
    stop: async (killAfterMs = 5000) => {
      if (!node.alive) return child.exitCode;
      node.alive = false;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      await exited;
      clearTimeout(timer);
      return child.exitCode;
    },
    ready: waitUntilReady(name, url, exited, () => output),
  };
  return node;
}

/** Polls /readyz until the node answers (bounded), failing at once if the process exits. */
async function waitUntilReady(name: string, url: string, exited: Promise<void>, output: () => string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${name} exited during start-up:\n${output()}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} was not ready within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`);
}

/** A port nothing listens on right now (the OS picks it). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
