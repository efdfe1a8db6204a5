/**
 * The reference ceiling: a bare `ws` broadcast server doing the least work a chat fan-out can
 * do. It speaks just enough of the gateway protocol for the bench's clients (HELLO, IDENTIFY →
 * READY, heartbeat ACK) and, for each POST /send, serialises one MESSAGE_CREATE frame of the
 * same size as Parley's and writes it to every identified socket. No database, no auth, no
 * validation: whatever Parley reaches as a share of this is the cost of being a real server.
 *
 * With BATCHED=1 it does what Parley's gateway does on top: the WebSocket frame is built once
 * and the same bytes written to every socket, and each socket's writes are held by the gateway's
 * own WriteBatch (the end of the event-loop turn, or later while the last flush took longer than
 * the time since: gateway/write-batch.ts), so frames sent together leave in one write. That is
 * the ceiling for a server that batches; without it, it is the plain loop people write first.
 *
 * Run by the bench (`node --import tsx bench/baseline-server.ts`) with PORT, FRAME_BYTES,
 * HEARTBEAT_MS and BATCHED in the environment.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { textFrame } from '../packages/server/src/gateway/frame';
import { WriteBatch } from '../packages/server/src/gateway/write-batch';

const port = Number(process.env.PORT ?? 0);
const frameBytes = Number(process.env.FRAME_BYTES ?? 0);
const heartbeatMs = Number(process.env.HEARTBEAT_MS ?? 41_250);
const batched = process.env.BATCHED === '1';

/** Identified sockets, with the TCP stream under each. */
const identified = new Map<WebSocket, Duplex>();
const corked = new Set<Duplex>();
const writes = new WriteBatch();

/** Sends the payload to every identified socket: encoded once, framed once when batched. */
function broadcast(payload: Buffer): void {
  if (!batched) {
    for (const socket of identified.keys()) socket.send(payload, { binary: false });
    return;
  }
  const frame = textFrame(payload);
  for (const stream of identified.values()) {
    if (!corked.has(stream)) {
      stream.cork();
      corked.add(stream);
      writes.add({
        flush: () => {
          corked.delete(stream);
          stream.uncork();
        },
      });
    }
    stream.write(frame);
  }
}
let seq = 0;
let nextId = 1n;

const server = http.createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/readyz') {
    response.end('{"status":"ready"}');
    return;
  }
  if (request.method !== 'POST') {
    response.statusCode = 404;
    response.end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { content: string; nonce?: string };
    const payload = messagePayload(String(nextId++), body.content, body.nonce);
    broadcast(Buffer.from(`{"op":0,"t":"MESSAGE_CREATE","s":${++seq},"d":${payload}}`));
    response.setHeader('content-type', 'application/json');
    response.end(payload);
  });
});

/** A Discord-shaped message, padded so the whole frame is FRAME_BYTES long (Parley's size). */
function messagePayload(id: string, content: string, nonce: string | undefined): string {
  const message = {
    id,
    channel_id: '1',
    guild_id: '1',
    author: { id: '2', username: 'bench', global_name: 'Bench', avatar: null, discriminator: '0' },
    content,
    timestamp: new Date().toISOString(),
    ...(nonce !== undefined && { nonce }),
    pad: '',
  };
  const base = JSON.stringify(message).length + `{"op":0,"t":"MESSAGE_CREATE","s":${seq + 1},"d":}`.length;
  message.pad = 'x'.repeat(Math.max(0, frameBytes - base));
  return JSON.stringify(message);
}

const wss = new WebSocketServer({ server, path: '/gateway', perMessageDeflate: false });
wss.on('connection', (socket, request) => {
  socket.send(JSON.stringify({ op: 10, d: { heartbeat_interval: heartbeatMs } }));
  socket.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    if (text.startsWith('{"op":2')) {
      identified.set(socket, request.socket);
      socket.send(`{"op":0,"t":"READY","s":${seq},"d":{"v":10,"session_id":"bench"}}`);
    } else if (text.startsWith('{"op":1')) {
      socket.send('{"op":11}');
    }
  });
  socket.on('close', () => identified.delete(socket));
  socket.on('error', () => undefined);
});

server.listen(port, '127.0.0.1');
const stop = () => {
  for (const socket of wss.clients) socket.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
