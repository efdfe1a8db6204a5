import type { Snowflake } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { type NegotiationState, ignoresDescription, isPolite, offerCollides } from './negotiation';

const stable: NegotiationState = { makingOffer: false, signalingState: 'stable', settingRemoteAnswer: false };
const sf = (id: string) => id as Snowflake;

describe('perfect negotiation', () => {
  it('makes the numerically smaller user ID the polite peer, on both sides', () => {
    // As strings "9" > "10"; as numbers it is the other way round.
    expect(isPolite(sf('9'), sf('10'))).toBe(true);
    expect(isPolite(sf('10'), sf('9'))).toBe(false);
    expect(isPolite(sf('1234567890123456789'), sf('1234567890123456790'))).toBe(true);
  });

  it('takes an offer when stable, or while our answer is being applied', () => {
    expect(offerCollides('offer', stable)).toBe(false);
    expect(offerCollides('offer', { ...stable, signalingState: 'have-local-offer', settingRemoteAnswer: true })).toBe(false);
  });

  it('sees a collision while we are making an offer or have one out', () => {
    expect(offerCollides('offer', { ...stable, makingOffer: true })).toBe(true);
    expect(offerCollides('offer', { ...stable, signalingState: 'have-local-offer' })).toBe(true);
    // Answers never collide.
    expect(offerCollides('answer', { ...stable, signalingState: 'have-local-offer' })).toBe(false);
  });

  it('has only the impolite peer ignore a colliding offer', () => {
    const glare: NegotiationState = { ...stable, signalingState: 'have-local-offer' };
    expect(ignoresDescription('offer', false, glare)).toBe(true);
    expect(ignoresDescription('offer', true, glare)).toBe(false);
    expect(ignoresDescription('offer', false, stable)).toBe(false);
  });
});
