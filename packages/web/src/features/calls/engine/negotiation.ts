import type { Snowflake } from '@parley/protocol';

/**
 * The decisions of WebRTC "perfect negotiation" (w3c webrtc-pc, "Perfect negotiation example"),
 * as pure functions: both peers may renegotiate at any time (ICE restarts), and when their
 * offers cross, the polite one yields and the impolite one ignores the other's offer.
 */

/** The polite peer is the participant with the numerically smaller user ID (the same answer on both sides). */
export function isPolite(myUserId: Snowflake, theirUserId: Snowflake): boolean {
  return BigInt(myUserId) < BigInt(theirUserId);
}

export interface NegotiationState {
  /** We are between starting an offer and sending it. */
  makingOffer: boolean;
  signalingState: RTCSignalingState;
  /** We are applying a remote answer (the state reads have-local-offer until it is done). */
  settingRemoteAnswer: boolean;
}

/** An incoming offer collides with one of ours: we are making or have made an offer of our own. */
export function offerCollides(type: RTCSdpType, state: NegotiationState): boolean {
  const readyForOffer = !state.makingOffer && (state.signalingState === 'stable' || state.settingRemoteAnswer);
  return type === 'offer' && !readyForOffer;
}

/** The impolite peer drops a colliding offer (the polite one rolls back and answers it instead). */
export function ignoresDescription(type: RTCSdpType, polite: boolean, state: NegotiationState): boolean {
  return !polite && offerCollides(type, state);
}

/**
 * The media each link carries, one transceiver each, always in this order on both sides: the
 * first offer creates all three, so turning the camera or a screen share on later only swaps a
 * track in (no renegotiation), and the encryption transforms are attached before any offer.
 */
export const MEDIA_SLOTS = ['audio', 'camera', 'screen'] as const;
export type MediaSlot = (typeof MEDIA_SLOTS)[number];

export const slotKind = (slot: MediaSlot): 'audio' | 'video' => (slot === 'audio' ? 'audio' : 'video');
