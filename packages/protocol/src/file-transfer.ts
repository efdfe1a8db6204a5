import { z } from 'zod';
import { IceCandidate, SDP_MAX_CHARS } from './calls';
import { Snowflake } from './ids';
import { Limits, line } from './limits';

/*
 * Files sent peer to peer (docs/file-transfer.md): a message carries an offer (name, size,
 * type); whoever accepts it fetches the file straight from the sender's browser over a WebRTC
 * data channel. The server relays only the signaling below and never sees a byte of the file.
 */

/** Made by the sender's client (random, 128 bits or more): names the offer in signals. */
export const FileOfferId = z.string().regex(/^[A-Za-z0-9_-]{22,43}$/, 'Must be 22–43 URL-safe base64 characters');

/** What a message offers peer to peer. Any size: it never passes through the server. */
export const FileOffer = z.object({
  id: FileOfferId,
  filename: line(Limits.filenameMax, 1),
  /** In bytes; up to 1 PiB (a bound, not a promise). */
  size: z
    .number()
    .int()
    .min(1)
    .max(2 ** 50),
  content_type: z
    .string()
    .max(255)
    .regex(/^[\w.+-]+\/[\w.+-]+$/, 'Must be a media type such as video/mp4'),
});
export type FileOffer = z.infer<typeof FileOffer>;

/** One browser tab taking part in transfers (random per tab): signals are addressed to it. */
export const PeerId = z.string().regex(/^[A-Za-z0-9_-]{16,32}$/, 'Must be 16–32 URL-safe base64 characters');

const Addressing = z.object({
  offer_id: FileOfferId,
  /** The tab sending this signal. */
  from_peer: PeerId,
  /** The tab it is for; absent on a request, which every tab of the sender hears (the one holding the file answers). */
  to_peer: PeerId.optional(),
});

/**
 * What the two sides tell each other. `request`: the receiver asks for the file from `offset`
 * (0, or where an interrupted transfer stopped); the sender answers with a WebRTC offer, the
 * receiver with an answer; both trickle candidates; `cancel` ends it from either side.
 */
export const Signal = <T extends z.ZodRawShape>(shape: T) =>
  z.discriminatedUnion('type', [
    Addressing.extend(shape).extend({
      type: z.literal('request'),
      offset: z
        .number()
        .int()
        .min(0)
        .max(2 ** 50),
    }),
    Addressing.extend(shape).extend({ type: z.literal('description'), description: z.object({ type: z.enum(['offer', 'answer']), sdp: z.string().min(1).max(SDP_MAX_CHARS) }) }),
    Addressing.extend(shape).extend({ type: z.literal('candidates'), candidates: z.array(IceCandidate).min(1).max(20) }),
    Addressing.extend(shape).extend({ type: z.literal('cancel'), reason: line(200).optional() }),
  ]);

/** The FILE_SIGNAL dispatch, to the addressed user's connections. */
export const FileSignal = Signal({ channel_id: Snowflake, from_user_id: Snowflake });
export type FileSignal = z.infer<typeof FileSignal>;
