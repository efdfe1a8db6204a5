/**
 * A complete WebSocket text frame (RFC 6455 §5.2) for a payload the server sends: FIN set,
 * opcode 1, no mask (servers never mask), then the length in 7, 7+16 or 7+64 bits. Frames
 * from server to client are the same bytes for every recipient, so a fan-out builds one and
 * writes it to each socket (connection.ts) instead of having ws frame it per socket.
 */
export function textFrame(payload: Buffer): Buffer {
  return frame(0x81, payload);
}

/** The same as a binary frame (opcode 2): what a `compress=zlib-stream` connection is sent. */
export function binaryFrame(payload: Buffer): Buffer {
  return frame(0x82, payload);
}

/** The payload of a frame built here (a view, not a copy). */
export function payloadOf(frame: Buffer): Buffer {
  const length = frame[1]! & 0x7f;
  return frame.subarray(length < 126 ? 2 : length === 126 ? 4 : 10);
}

function frame(first: number, payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = first;
  if (length < 126) {
    frame[1] = length;
  } else if (length < 65_536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
