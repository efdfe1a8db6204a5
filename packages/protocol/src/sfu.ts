import { z } from 'zod';
import { IceCandidate, SDP_MAX_CHARS } from './calls';
import { Snowflake } from './ids';

/**
 * Calls beyond a mesh (docs/calls.md, "Big calls"): past CALL_MESH_MAX participants a call's
 * media goes through a selective forwarding unit (Janus), which the server drives. A client
 * then keeps two connections to it: one publishing its microphone, camera and screen, one
 * receiving the streams it chooses. Frames stay encrypted end to end: the SFU forwards what it
 * cannot read, and media keys still go participant to participant (RTC_SIGNAL media_key).
 */

/** How a call's media flows: peer to peer, or through the SFU. */
export const CallMedia = z.enum(['mesh', 'sfu']);
export type CallMedia = z.infer<typeof CallMedia>;

/** A publisher in the SFU: one call session (device), so the gateway session ID. */
export const FeedId = z.string().min(1).max(64);
/** An m-line's mid. */
const Mid = z.string().min(1).max(16);
/** 0 (smallest) to 2 (full): the simulcast layer a receiver asks for. */
export const Substream = z.number().int().min(0).max(2);
/** Each participant publishes at most audio, camera and screen: 3 streams per person, 100 people. */
const MAX_STREAMS = 300;

const Description = <T extends 'offer' | 'answer'>(type: T) => z.object({ type: z.literal(type), sdp: z.string().min(1).max(SDP_MAX_CHARS) });

/** Which of the two connections to the SFU a message is about. */
export const SfuPeer = z.enum(['publisher', 'subscriber']);
export type SfuPeer = z.infer<typeof SfuPeer>;

/** Gateway op 41 (Parley): what a participant of an SFU call asks of it, for the call it is in. */
export const SfuSignalSend = z.discriminatedUnion('type', [
  /** Our offer for what we send (audio, camera, screen in that order: mids 0, 1, 2). Answered by `answer`. */
  z.object({ type: z.literal('publish'), channel_id: Snowflake, description: Description('offer') }),
  /** The streams we want to receive, all of them each time (an empty list stops receiving). Answered by `offer`. */
  z.object({ type: z.literal('subscribe'), channel_id: Snowflake, streams: z.array(z.object({ feed: FeedId, mid: Mid })).max(MAX_STREAMS) }),
  /** Our answer to the SFU's `offer`: receiving starts. */
  z.object({ type: z.literal('start'), channel_id: Snowflake, description: Description('answer') }),
  z.object({ type: z.literal('candidates'), channel_id: Snowflake, peer: SfuPeer, candidates: z.array(IceCandidate).min(1).max(20) }),
  /** Our receiving connection broke (or the network changed): the SFU offers again with new ICE credentials. */
  z.object({ type: z.literal('restart'), channel_id: Snowflake }),
  /** Which simulcast layer to receive of each video stream (by our subscriber mid): small tiles take 0. */
  z.object({
    type: z.literal('layers'),
    channel_id: Snowflake,
    layers: z
      .array(z.object({ mid: Mid, substream: Substream }))
      .min(1)
      .max(MAX_STREAMS),
  }),
]);
export type SfuSignalSend = z.infer<typeof SfuSignalSend>;
/** The kinds of op 41 request (an SFU error names which one failed). */
const SFU_REQUESTS = SfuSignalSend.options.map((o) => o.shape.type.value) as [SfuSignalSend['type'], ...SfuSignalSend['type'][]];

/** One stream a participant publishes: `description` says which slot it is (audio, camera, screen). */
export const SfuStream = z.object({ mid: Mid, type: z.enum(['audio', 'video']), description: z.string().max(32).nullable() });
export type SfuStream = z.infer<typeof SfuStream>;

export const SfuFeed = z.object({ feed: FeedId, user_id: Snowflake, streams: z.array(SfuStream).max(3) });
export type SfuFeed = z.infer<typeof SfuFeed>;

/** A stream in the SFU's offer to us: our mid, and whose stream it is. */
export const SfuSubscribedStream = z.object({ mid: Mid, feed: FeedId, feed_mid: Mid, type: z.enum(['audio', 'video']), description: z.string().max(32).nullable() });
export type SfuSubscribedStream = z.infer<typeof SfuSubscribedStream>;

/** The SFU_SIGNAL dispatch, to one call session. */
export const SfuSignal = z.discriminatedUnion('type', [
  /** The call's media path: sent when a call moves to the SFU, and to whoever joins a call that is there. */
  z.object({ type: z.literal('media'), channel_id: Snowflake, media: CallMedia }),
  /** The SFU's answer to our `publish`. */
  z.object({ type: z.literal('answer'), channel_id: Snowflake, description: Description('answer') }),
  /** Everyone publishing in the call now (ourselves excluded), sent again whenever it changes. */
  z.object({ type: z.literal('feeds'), channel_id: Snowflake, feeds: z.array(SfuFeed).max(MAX_STREAMS) }),
  /** The SFU's offer for what we subscribed to. */
  z.object({ type: z.literal('offer'), channel_id: Snowflake, description: Description('offer'), streams: z.array(SfuSubscribedStream).max(MAX_STREAMS) }),
  /** A request of ours the SFU refused or failed at (`request`: its type); the client asks again or tells the person. */
  z.object({ type: z.literal('error'), channel_id: Snowflake, request: z.enum(SFU_REQUESTS), message: z.string().max(500) }),
]);
export type SfuSignal = z.infer<typeof SfuSignal>;
