/** Codecs whose frames the E2EE worker can encrypt (frames.ts); RTX, RED and FEC work on packets, after it. */
const E2EE_CODECS: Record<string, string[]> = {
  audio: ['audio/opus'],
  video: ['video/vp8', 'video/rtx', 'video/red', 'video/ulpfec'],
};

/**
 * Limits a transceiver to Opus and VP8 when the call is encrypted end to end. Encrypted
 * frames are opaque to the RTP packetizer: Opus and VP8 packetizers do not look inside a frame
 * beyond the bytes frames.ts leaves in clear, but the H.264 and AV1 ones split the bitstream
 * on its own structure (NAL units, OBUs), which encryption scrambles, and VP9 would be a second
 * video path to get right for no gain in a mesh. Call it on every transceiver before the
 * offer or answer is created (the worker drops frames of any other video codec rather than send
 * them in clear).
 */
export function restrictCodecsForE2ee(transceiver: RTCRtpTransceiver): void {
  const kind = transceiver.receiver.track.kind;
  const wanted = E2EE_CODECS[kind] ?? [];
  const codecs = RTCRtpReceiver.getCapabilities(kind)?.codecs.filter((codec) => wanted.includes(codec.mimeType.toLowerCase())) ?? [];
  if (codecs.length > 0) transceiver.setCodecPreferences(codecs);
}
