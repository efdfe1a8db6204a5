/**
 * A complete WebSocket text frame (RFC 6455 §5.2) for a payload the server sends: FIN set,
 * opcode 1, no mask (servers never mask), then the length in 7, 7+16 or 7+64 bits. Frames
 * from server to client are the same bytes for every recipient, so a fan-out builds one and
 * writes it to each socket (connection.ts) instead of having ws frame it per socket.
 */
export function textFrame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x81;
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
