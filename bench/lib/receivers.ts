import { type ChildProcess, fork } from 'node:child_process';
import type { OpenResult } from './gateway-clients';
import { REPO_ROOT } from './parley';
import { pinToCpus } from './system';
import { Samples, type SamplesExport } from './stats';

/** What a receiver counted over one step. */
export interface StepCounts {
  deliveries: number;
  /** Deliveries read inside the measuring window. */
  windowDeliveries: number;
  frameBytes: number;
  latency: SamplesExport;
  /** Per message: [send index, first delivery ms, last delivery ms] in this receiver. */
  messages: [number, number, number][];
}

export type ReceiverRequest =
  | { type: 'open'; id: number; targets: { url: string; token: string }[]; concurrency: number; timeoutMs: number }
  | { type: 'begin-step'; id: number; firstIndex: number; windowStart: number; windowEnd: number }
  | { type: 'end-step'; id: number }
  | { type: 'close'; id: number };

type Request = ReceiverRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export type ReceiverReply =
  | { type: 'progress'; deliveries: number; otherDispatches: number; ready: number; unexpectedCloses: number; rss: number }
  | { type: 'opened'; id: number; result: OpenResult }
  | { type: 'step'; id: number; counts: StepCounts }
  | { type: 'ack'; id: number }
  | { type: 'error'; id: number; message: string };

type Progress = Omit<Extract<ReceiverReply, { type: 'progress' }>, 'type'>;

/** A receiver process and its latest progress report. */
class Receiver {
  progress: Progress = { deliveries: 0, otherDispatches: 0, ready: 0, unexpectedCloses: 0, rss: 0 };
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (reply: ReceiverReply) => void; reject: (error: Error) => void }>();

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: ReceiverReply) => {
      if (message.type === 'progress') {
        const { type: _, ...progress } = message;
        this.progress = progress;
        return;
      }
      const pending = this.waiting.get(message.id);
      if (!pending) return;
      this.waiting.delete(message.id);
      if (message.type === 'error') pending.reject(new Error(`receiver: ${message.message}`));
      else pending.resolve(message);
    });
    child.on('exit', (code) => {
      for (const pending of this.waiting.values()) pending.reject(new Error(`receiver exited with ${code}`));
      this.waiting.clear();
    });
  }

  request<T extends ReceiverReply['type']>(request: Request, _expect: T): Promise<Extract<ReceiverReply, { type: T }>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) {
        reject(new Error('receiver is gone'));
        return;
      }
      this.waiting.set(id, { resolve: resolve as (reply: ReceiverReply) => void, reject });
      this.child.send({ ...request, id }, (error) => {
        if (!error) return;
        this.waiting.delete(id);
        reject(error);
      });
    });
  }
}

/**
 * The bench's gateway clients, in `count` receiver processes (connections split evenly), so the
 * process that sends and times the sends is not the one reading thousands of frames.
 */
export class ReceiverFleet {
  private constructor(private readonly receivers: Receiver[]) {}

  static start(count: number, cpus: string | null = null): ReceiverFleet {
    const receivers = Array.from({ length: count }, () => {
      const child = fork(new URL('./receiver-process.ts', import.meta.url), [], {
        cwd: REPO_ROOT,
        execArgv: ['--import', 'tsx'],
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      process.on('exit', () => child.kill('SIGKILL'));
      if (cpus) pinToCpus(child.pid!, cpus);
      return new Receiver(child);
    });
    return new ReceiverFleet(receivers);
  }

  /** Opens every connection, split across the receivers; each must reach READY in time. */
  async open(targets: readonly { url: string; token: string }[], concurrency = 64, timeoutMs = 120_000): Promise<OpenResult> {
    const started = performance.now();
    const share = Math.ceil(targets.length / this.receivers.length);
    const results = await Promise.all(
      this.receivers.map((r, i) => r.request({ type: 'open', targets: targets.slice(i * share, (i + 1) * share), concurrency: Math.ceil(concurrency / this.receivers.length), timeoutMs }, 'opened')),
    );
    return {
      ready: results.reduce((n, r) => n + r.result.ready, 0),
      failed: results.reduce((n, r) => n + r.result.failed, 0),
      seconds: (performance.now() - started) / 1000,
      errors: results.flatMap((r) => r.result.errors).slice(0, 5),
    };
  }

  /** Sum of the receivers' latest progress reports (at most ~50 ms old). */
  get progress(): Progress {
    const total: Progress = { deliveries: 0, otherDispatches: 0, ready: 0, unexpectedCloses: 0, rss: 0 };
    for (const r of this.receivers) for (const key of Object.keys(total) as (keyof Progress)[]) total[key] += r.progress[key];
    return total;
  }

  /** PIDs of the receiver processes (for their CPU use). */
  get pids(): number[] {
    return this.receivers.map((r) => r.child.pid!);
  }

  async beginStep(firstIndex: number, windowStart: number, windowEnd: number): Promise<void> {
    await Promise.all(this.receivers.map((r) => r.request({ type: 'begin-step', firstIndex, windowStart, windowEnd }, 'ack')));
    // Progress reports from before the reset would make a drain wait end early.
    for (const r of this.receivers) r.progress.deliveries = 0;
  }

  /**
   * What every receiver counted, merged; `firstDelivery` and `lastDelivery` hold one sample per
   * message: when its first and its last recipient read it (the send, then the send and the fan-out).
   */
  async endStep(): Promise<{ deliveries: number; windowDeliveries: number; frameBytes: number; latency: Samples; firstDelivery: Samples; lastDelivery: Samples }> {
    const steps = await Promise.all(this.receivers.map((r) => r.request({ type: 'end-step' }, 'step')));
    const latency = new Samples();
    for (const s of steps) latency.merge(s.counts.latency);
    const messages = new Map<number, [number, number]>();
    for (const s of steps) {
      for (const [index, first, last] of s.counts.messages) {
        const seen = messages.get(index);
        messages.set(index, seen ? [Math.min(seen[0], first), Math.max(seen[1], last)] : [first, last]);
      }
    }
    const firstDelivery = new Samples();
    const lastDelivery = new Samples();
    for (const [first, last] of messages.values()) {
      firstDelivery.add(first);
      lastDelivery.add(last);
    }
    return {
      firstDelivery,
      lastDelivery,
      deliveries: steps.reduce((n, s) => n + s.counts.deliveries, 0),
      windowDeliveries: steps.reduce((n, s) => n + s.counts.windowDeliveries, 0),
      frameBytes: steps.reduce((n, s) => n + s.counts.frameBytes, 0),
      latency,
    };
  }

  /** Closes every connection cleanly, then ends the receiver processes. Safe to call twice. */
  async close(): Promise<void> {
    await Promise.all(this.receivers.map((r) => r.request({ type: 'close' }, 'ack').catch(() => undefined)));
    for (const r of this.receivers) if (r.child.connected) r.child.disconnect();
  }
}
