import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { LeanWebSocket } from './lean-websocket';

let server: WebSocketServer | null = null;

/** A `ws` server on a free port; `onConnection` gets each client's socket on the server side. */
async function serve(onConnection: (socket: WebSocket) => void): Promise<string> {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  server.on('connection', onConnection);
  await new Promise((resolve) => server!.once('listening', resolve));
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/gateway?v=10`;
}

/** A client that records what it got, and resolves `closed` with the close code and reason. */
function connect(url: string) {
  const messages: string[] = [];
  let arrived: () => void = () => undefined;
  let closed!: (value: { code: number; reason: string }) => void;
  const result = {
    messages,
    closed: new Promise<{ code: number; reason: string }>((resolve) => (closed = resolve)),
    /** Resolves once `count` messages have arrived. */
    received: (count: number) =>
      new Promise<void>((resolve) => {
        arrived = () => messages.length >= count && resolve();
        arrived();
      }),
    socket: new LeanWebSocket(url, {
      message: (data) => {
        messages.push(data.toString('utf8'));
        arrived();
      },
      close: (code, reason) => closed({ code, reason }),
    }),
  };
  return result;
}

afterEach(async () => {
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = null;
});

describe('LeanWebSocket (the bench receivers’ client) against ws', () => {
  it('sends masked text frames and reads whole, large and fragmented messages in order', async () => {
    const large = 'x'.repeat(70_000);
    const url = await serve((socket) => {
      socket.on('message', (data) => {
        socket.send(`echo ${data.toString()}`);
        socket.send('y'.repeat(300));
        socket.send(large);
        // One message in three frames.
        socket.send('frag', { fin: false });
        socket.send('men', { fin: false });
        socket.send('ted', { fin: true });
      });
      socket.send('{"op":10}');
    });
    const client = connect(url);
    await client.received(1);
    client.socket.send('hello');
    await client.received(5);
    expect(client.messages).toEqual(['{"op":10}', 'echo hello', 'y'.repeat(300), large, 'fragmented']);
  });

  it('keeps a message that spans reads whole while other sockets read into the same buffer', async () => {
    // Larger than the shared read buffer: it arrives over several reads, between the other socket's.
    const long = Array.from({ length: 60_000 }, (_, i) => String(i % 9_973).padStart(10, '.')).join('');
    const shorts = Array.from({ length: 200 }, (_, i) => `short ${i} ${'z'.repeat(i)}`);
    const url = await serve((socket) => {
      socket.on('message', (data) => {
        if (data.toString() === 'long') socket.send(long);
        else for (const text of shorts) socket.send(text);
      });
      socket.send('open');
    });
    const [first, second] = [connect(url), connect(url)];
    await Promise.all([first.received(1), second.received(1)]);
    first.socket.send('long');
    second.socket.send('shorts');
    await Promise.all([first.received(2), second.received(1 + shorts.length)]);
    // Compared as booleans: a failure would print 600 kB.
    expect(first.messages[1] === long).toBe(true);
    expect(second.messages.slice(1)).toEqual(shorts);
  });

  it('answers a ping with its payload and closes with the code the server gave', async () => {
    let pong: Promise<string> | undefined;
    const url = await serve((socket) => {
      pong = new Promise((resolve) => socket.once('pong', (data) => resolve(data.toString())));
      socket.ping('are you there');
      void pong.then(() => socket.close(4004, 'Authentication failed'));
    });
    const client = connect(url);
    expect(await client.closed).toEqual({ code: 4004, reason: 'Authentication failed' });
    expect(await pong).toBe('are you there');
  });

  it('closes cleanly with its own code, which the server sees', async () => {
    let serverSaw: Promise<number> | undefined;
    const url = await serve((socket) => {
      serverSaw = new Promise((resolve) => socket.once('close', resolve));
      socket.send('ready');
    });
    const client = connect(url);
    await client.received(1);
    client.socket.close(1000);
    expect((await client.closed).code).toBe(1000);
    expect(await serverSaw).toBe(1000);
  });

  it('reports 1006 when the connection drops without a close frame', async () => {
    const url = await serve((socket) => socket.terminate());
    expect((await connect(url).closed).code).toBe(1006);
  });

  it('reports a refused handshake as 1006 with the status line', async () => {
    const refusing = http.createServer();
    refusing.on('upgrade', (_request, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const client = connect(`ws://127.0.0.1:${(refusing.address() as AddressInfo).port}/gateway`);
      expect(await client.closed).toEqual({ code: 1006, reason: 'handshake refused: HTTP/1.1 403 Forbidden' });
    } finally {
      await new Promise((resolve) => refusing.close(resolve));
    }
  });
});
