import { spawn } from 'node:child_process';
import { REPO_ROOT } from './parley';
import { delay, freePort, pinToCpus } from './system';

export interface BaselineServer {
  pid: number;
  baseUrl: string;
  gatewayUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts bench/baseline-server.ts as its own process (like Parley), ready to accept clients;
 * `batched` frames once and batches each socket's writes per event-loop turn as Parley does;
 * `cpus`: the cores it is bound to, as Parley's node with `--pin-cpus` (null: anywhere).
 */
export async function startBaseline(frameBytes: number, heartbeatMs: number, batched: boolean, cpus: string | null): Promise<BaselineServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline-server.ts'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), FRAME_BYTES: String(frameBytes), HEARTBEAT_MS: String(heartbeatMs), BATCHED: batched ? '1' : '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  process.on('exit', () => child.kill('SIGKILL'));
  if (cpus) pinToCpus(child.pid!, cpus);
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`baseline server exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('baseline server did not start within 30 s');
    try {
      if ((await fetch(`${baseUrl}/readyz`)).ok) break;
    } catch {
      // Not listening yet.
    }
    await delay(100);
  }
  return {
    pid: child.pid!,
    baseUrl,
    gatewayUrl: `ws://127.0.0.1:${port}/gateway`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
