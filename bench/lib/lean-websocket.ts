import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * A bare WebSocket client (RFC 6455, no extensions) for the bench's receivers. One process holds
 * a thousand of them and reads every fan-out frame; with `ws` that process spent more CPU per
 * frame than the server spends writing it (its Receiver is a Writable stream, each frame a
 * chain of calls, allocations and an event), so the bench timed its own reader. Here a frame
 * that arrives whole in one read (nearly all of them) is handed on as a view of that read.
 */

/**
 * Every socket reads into this one buffer (net's `onread`), handled before the next read: no
 * Readable stream, no 'data' event, no allocation per read. With the stream around each read,
 * the receiving process spent about as much CPU per frame as the server spent writing it, and
 * the bench's tail latency was partly its own reading (bench/README.md, issue 17 sixth pass).
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE_CONTINUATION = 0x0;
const OPCODE_CLOSE = 0x8;
const OPCODE_PING = 0x9;
const OPCODE_PONG = 0xa;
/** The close code when the connection ended without a close frame. */
const ABNORMAL_CLOSURE = 1006;
/** A frame from the server larger than this ends the connection (READY of a big guild fits). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export interface LeanWebSocketHandlers {
  /** A complete text or binary message; the buffer may be a view of a larger read, valid for this call. */
  message: (data: Buffer) => void;
  /** Once, with the close frame's code or 1006; also after a failed handshake or a socket error. */
  close: (code: number, reason: string) => void;
}

export class LeanWebSocket {
  private readonly socket: net.Socket;
  private open = false;
  private closed = false;
  private closeSent = false;
  private closeCode = ABNORMAL_CLOSURE;
  private closeReason = '';
  /** Bytes of an incomplete frame (or handshake) waiting for the next read. */
  private pending: Buffer | null = null;
  /** The fragments of a message split over several frames. */
  private fragments: Buffer[] = [];

  constructor(
    url: string,
    private readonly handlers: LeanWebSocketHandlers,
  ) {
    const target = new URL(url);
    if (target.protocol !== 'ws:') throw new Error(`lean websocket: only ws:// URLs (${url})`);
    const key = randomBytes(16).toString('base64');
    const expectedAccept = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    this.socket = net.connect({
      host: target.hostname,
      port: Number(target.port || 80),
      onread: {
        buffer: READ_BUFFER,
        // The buffer given is READ_BUFFER; true keeps the socket reading.
        callback: (bytes) => {
          const chunk = READ_BUFFER.subarray(0, bytes);
          if (this.open) this.read(chunk);
          else this.handshake(chunk, expectedAccept);
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` + `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('error', (error) => {
      this.closeReason ||= error.message;
    });
    this.socket.on('close', () => this.finish());
  }

  /** Sends a text message (masked, as every client frame must be). */
  send(text: string): void {
    if (!this.open || this.closed) return;
    this.socket.write(clientFrame(0x1, Buffer.from(text)));
  }

  /** Starts the closing handshake; `close` is called when the server's answer or the socket's end comes. */
  close(code = 1000): void {
    if (!this.open || this.closed) return this.terminate();
    if (this.closeSent) return;
    this.closeSent = true;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.socket.write(clientFrame(OPCODE_CLOSE, payload));
  }

  /** Ends the connection at once. */
  terminate(): void {
    this.socket.destroy();
  }

  private handshake(chunk: Buffer, expectedAccept: string): void {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    const end = data.indexOf('\r\n\r\n');
    if (end < 0) {
      this.pending = Buffer.from(data);
      return;
    }
    this.pending = null;
    const head = data.toString('latin1', 0, end);
    const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
    if (!head.startsWith('HTTP/1.1 101') || accept !== expectedAccept) {
      this.closeReason = `handshake refused: ${head.split('\r\n')[0]}`;
      this.terminate();
      return;
    }
    this.open = true;
    if (data.length > end + 4) this.read(data.subarray(end + 4));
  }

  /** Parses every complete frame in what was read; keeps the incomplete rest for the next read. */
  private read(chunk: Buffer): void {
    let data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let at = 0;
    while (!this.closed && data.length - at >= 2) {
      const first = data[at]!;
      const second = data[at + 1]!;
      let length = second & 0x7f;
      let headerBytes = 2;
      if (length === 126) {
        if (data.length - at < 4) break;
        length = data.readUInt16BE(at + 2);
        headerBytes = 4;
      } else if (length === 127) {
        if (data.length - at < 10) break;
        length = Number(data.readBigUInt64BE(at + 2));
        headerBytes = 10;
      }
      if (second & 0x80 || length > MAX_FRAME_BYTES) {
        // Servers never mask; a frame this size is not a gateway's.
        this.closeReason = 'invalid frame from the server';
        this.terminate();
        return;
      }
      if (data.length - at < headerBytes + length) break;
      this.frame(first & 0x80, first & 0x0f, data.subarray(at + headerBytes, at + headerBytes + length));
      at += headerBytes + length;
    }
    if (at < data.length && !this.closed) {
      data = data.subarray(at);
      // Copied: the view would keep the whole read alive, and the next read is appended anyway.
      this.pending = Buffer.from(data);
    }
  }

  private frame(fin: number, opcode: number, payload: Buffer): void {
    if (opcode === OPCODE_PING) {
      this.socket.write(clientFrame(OPCODE_PONG, payload));
    } else if (opcode === OPCODE_CLOSE) {
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.closeReason = payload.toString('utf8', 2);
      // Answered with the same code unless it answers ours; the server then ends the TCP connection.
      if (this.closeSent) this.socket.end();
      else this.socket.end(clientFrame(OPCODE_CLOSE, payload.subarray(0, 2)));
      this.closeSent = true;
      this.finish();
    } else if (opcode === OPCODE_PONG) {
      // Unasked pongs are allowed; nothing to do.
    } else if (!fin || (opcode === OPCODE_CONTINUATION && this.fragments.length > 0)) {
      this.fragments.push(Buffer.from(payload));
      if (fin) {
        const message = Buffer.concat(this.fragments);
        this.fragments = [];
        this.handlers.message(message);
      }
    } else {
      this.handlers.message(payload);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.close(this.closeCode, this.closeReason);
  }
}

/** A masked client frame, whole (FIN set). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  const headerBytes = payload.length < 126 ? 2 : payload.length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerBytes + 4 + payload.length);
  frame[0] = 0x80 | opcode;
  if (headerBytes === 2) frame[1] = 0x80 | payload.length;
  else if (headerBytes === 4) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(payload.length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, headerBytes);
  for (let i = 0; i < payload.length; i++) frame[headerBytes + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}
