/**
 * A receiver process: holds a share of the bench's gateway connections and records every
 * marked MESSAGE_CREATE (count, latency, size). Kept apart from the senders so that reading
 * bursts of frames does not delay the senders' clocks, and vice versa. Driven over IPC by
 * ReceiverFleet (receivers.ts); exits when its parent goes.
 */
import { GatewayClientPool, readMarker } from './gateway-clients';
import type { ReceiverReply, ReceiverRequest, StepCounts } from './receivers';
import { Samples } from './stats';
import { rssOf } from './system';

let stepFirstIndex = Number.POSITIVE_INFINITY;
let windowStart = 0;
let windowEnd = 0;
let counts: Omit<StepCounts, 'latency' | 'messages'> = { deliveries: 0, windowDeliveries: 0, frameBytes: 0 };
let latency = new Samples();
/** Per message (by send index): the latency of its first and of its last delivery here. */
let messages = new Map<number, { first: number; last: number }>();

const pool = new GatewayClientPool((frame, receivedAt) => {
  const marker = readMarker(frame);
  if (!marker || marker.index < stepFirstIndex) return;
  counts.deliveries++;
  counts.frameBytes += frame.length;
  if (receivedAt >= windowStart && receivedAt <= windowEnd) counts.windowDeliveries++;
  const ms = (receivedAt - marker.sentAtMicros) / 1000;
  latency.add(ms);
  const message = messages.get(marker.index);
  if (!message) messages.set(marker.index, { first: ms, last: ms });
  else if (ms > message.last) message.last = ms;
});

const reply = (message: ReceiverReply) => process.send!(message);

function unexpectedCloses(): number {
  let n = 0;
  for (const count of pool.counters.unexpectedCloses.values()) n += count;
  return n;
}

// Progress for the parent's bounded waits (drain, quiet) without a round trip each time.
const progress = setInterval(() => {
  reply({
    type: 'progress',
    deliveries: counts.deliveries,
    otherDispatches: pool.counters.otherDispatches,
    ready: pool.readyCount,
    unexpectedCloses: unexpectedCloses(),
    rss: rssOf(process.pid),
  });
}, 50);

process.on('message', (request: ReceiverRequest) => {
  void handle(request).catch((error: unknown) => reply({ type: 'error', id: request.id, message: error instanceof Error ? error.message : String(error) }));
});
process.on('disconnect', () => process.exit(0));

async function handle(request: ReceiverRequest): Promise<void> {
  switch (request.type) {
    case 'open': {
      const result = await pool.open(request.targets, { concurrency: request.concurrency, timeoutMs: request.timeoutMs });
      reply({ type: 'opened', id: request.id, result });
      return;
    }
    case 'begin-step':
      stepFirstIndex = request.firstIndex;
      windowStart = request.windowStart;
      windowEnd = request.windowEnd;
      counts = { deliveries: 0, windowDeliveries: 0, frameBytes: 0 };
      latency = new Samples();
      messages = new Map();
      reply({ type: 'ack', id: request.id });
      return;
    case 'end-step':
      reply({ type: 'step', id: request.id, counts: { ...counts, latency: latency.export(), messages: [...messages].map(([index, m]) => [index, m.first, m.last]) } });
      stepFirstIndex = Number.POSITIVE_INFINITY;
      return;
    case 'close':
      clearInterval(progress);
      await pool.closeAll();
      reply({ type: 'ack', id: request.id });
      return;
  }
}
