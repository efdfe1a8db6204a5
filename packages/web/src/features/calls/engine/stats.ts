import type { Snowflake } from '@parley/protocol';
import type { E2eeCounters } from '../e2ee';
import { MEDIA_SLOTS, type MediaSlot } from './negotiation';
import type { PeerLink } from './PeerLink';
import type { SfuConnection, SfuReceivedLine } from './SfuConnection';

/** What one slot of one link carries, both ways (the fields tests and the debug API read). */
export interface SlotStats {
  bytesReceived: number;
  packetsReceived: number;
  framesDecoded: number;
  frameWidth: number | null;
  frameHeight: number | null;
  bytesSent: number;
  packetsSent: number;
  framesEncoded: number;
  sentFrameWidth: number | null;
  sentFrameHeight: number | null;
}

export interface PeerStats {
  userId: string;
  /** The peer's call session this link was made for (a rejoin makes a new link). */
  sessionId: string;
  connectionState: RTCPeerConnectionState;
  /** Candidate types of the pair in use ('host', 'srflx', 'relay'), once connected. */
  localCandidateType: string | null;
  remoteCandidateType: string | null;
  slots: Record<MediaSlot, SlotStats>;
}

export interface CallStats {
  channelId: string;
  /** How the call's media flows: a link per participant, or through the SFU. */
  media: 'mesh' | 'sfu';
  /** Our microphone is going out (not muted, push-to-talk held…). */
  transmitting: boolean;
  peers: PeerStats[];
  /** Through the SFU: what each of the subscriber's m-lines carries (a stream not heard shows why). */
  sfuLines: SfuReceivedLine[] | null;
  /** Frame encryption counters, when the call is encrypted. */
  e2ee: { sent: E2eeCounters; received: Record<string, E2eeCounters> } | null;
}

type Stat = Record<string, unknown>;
const num = (value: unknown) => (typeof value === 'number' ? value : 0);
const size = (value: unknown) => (typeof value === 'number' ? value : null);

/** Statistics of one link, read per transceiver so each slot (audio, camera, screen) is told apart. */
export async function linkStats(link: PeerLink): Promise<PeerStats> {
  const slots = {} as Record<MediaSlot, SlotStats>;
  for (const slot of MEDIA_SLOTS) slots[slot] = await slotStats(link.transceiver(slot), link.transceiver(slot));
  const [local, remote] = await candidateTypes(link.pc);
  return { userId: link.peer, sessionId: link.sessionId, connectionState: link.pc.connectionState, localCandidateType: local, remoteCandidateType: remote, slots };
}

/**
 * One participant as seen through the SFU: what we receive of theirs (the subscriber's
 * transceivers carrying their streams), what we send (to the SFU, the same for everyone), and
 * the subscriber's connection.
 */
export async function sfuPeerStats(sfu: SfuConnection, userId: Snowflake, sessionId: string): Promise<PeerStats> {
  const receivers = sfu.receiversOf(userId);
  const slots = {} as Record<MediaSlot, SlotStats>;
  for (const slot of MEDIA_SLOTS) slots[slot] = await slotStats(receivers[slot] ?? null, sfu.sender(slot));
  const pc = sfu.subscriber;
  const [local, remote] = pc ? await candidateTypes(pc) : [null, null];
  return { userId, sessionId, connectionState: pc?.connectionState ?? 'new', localCandidateType: local, remoteCandidateType: remote, slots };
}

/** A slot's bytes and frames: received on one transceiver, sent on another (the same one in a mesh link). */
async function slotStats(receiving: RTCRtpTransceiver | null, sending: RTCRtpTransceiver | null): Promise<SlotStats> {
  const result: SlotStats = {
    bytesReceived: 0,
    packetsReceived: 0,
    framesDecoded: 0,
    frameWidth: null,
    frameHeight: null,
    bytesSent: 0,
    packetsSent: 0,
    framesEncoded: 0,
    sentFrameWidth: null,
    sentFrameHeight: null,
  };
  const none = new Map<string, Stat>();
  const [received, sent] = await Promise.all([receiving?.receiver.getStats() ?? none, sending?.sender.getStats() ?? none]);
  received.forEach((stat: Stat) => {
    if (stat.type !== 'inbound-rtp') return;
    result.bytesReceived += num(stat.bytesReceived);
    result.packetsReceived += num(stat.packetsReceived);
    result.framesDecoded += num(stat.framesDecoded);
    result.frameWidth = size(stat.frameWidth) ?? result.frameWidth;
    result.frameHeight = size(stat.frameHeight) ?? result.frameHeight;
  });
  sent.forEach((stat: Stat) => {
    if (stat.type !== 'outbound-rtp') return;
    result.bytesSent += num(stat.bytesSent);
    result.packetsSent += num(stat.packetsSent);
    result.framesEncoded += num(stat.framesEncoded);
    result.sentFrameWidth = size(stat.frameWidth) ?? result.sentFrameWidth;
    result.sentFrameHeight = size(stat.frameHeight) ?? result.sentFrameHeight;
  });
  return result;
}

async function candidateTypes(pc: RTCPeerConnection): Promise<[string | null, string | null]> {
  const report = await pc.getStats();
  let pair: Stat | null = null;
  report.forEach((stat: Stat) => {
    if (stat.type === 'transport' && typeof stat.selectedCandidatePairId === 'string') pair = report.get(stat.selectedCandidatePairId) as Stat;
  });
  if (!pair) return [null, null];
  const type = (id: unknown) => ((report.get(String(id)) as Stat | undefined)?.candidateType as string | undefined) ?? null;
  return [type((pair as Stat).localCandidateId), type((pair as Stat).remoteCandidateId)];
}
