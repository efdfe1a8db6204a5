import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';

describe('configuration of STUN and TURN', () => {
  it('reads comma-separated STUN and TURN URLs, the TURN secret and the credential lifetime', () => {
    const config = parseConfig({
      STUN_URLS: 'stun:a.example.org:3478, stuns:b.example.org',
      TURN_URLS: 'turn:t.example.org:3478?transport=udp,turns:t.example.org:5349',
      TURN_SECRET: 'sixteen chars ok!',
      TURN_CREDENTIAL_TTL_SECONDS: '900',
    });
    expect(config.ice).toEqual({
      stunUrls: ['stun:a.example.org:3478', 'stuns:b.example.org'],
      turn: { urls: ['turn:t.example.org:3478?transport=udp', 'turns:t.example.org:5349'], secret: 'sixteen chars ok!' },
      ttlSeconds: 900,
    });
  });

  it('has no STUN or TURN by default, and credentials that last 12 hours', () => {
    expect(parseConfig({}).ice).toEqual({ stunUrls: [], turn: null, ttlSeconds: 12 * 3600 });
    expect(parseConfig({ STUN_URLS: '', TURN_URLS: ' ' }).ice.turn).toBeNull();
  });

  it('refuses TURN without a secret, URLs of the wrong scheme, a weak secret and a TTL under a minute', () => {
    expect(() => parseConfig({ TURN_URLS: 'turn:t.example.org' })).toThrow(/TURN_SECRET: Required when TURN_URLS is set/);
    expect(() => parseConfig({ STUN_URLS: 'turn:t.example.org' })).toThrow(/STUN_URLS.*stun: or stuns:/);
    expect(() => parseConfig({ TURN_URLS: 'https://t.example.org', TURN_SECRET: 'sixteen chars ok!' })).toThrow(/TURN_URLS.*turn: or turns:/);
    expect(() => parseConfig({ TURN_URLS: 'turn:t.example.org', TURN_SECRET: 'short' })).toThrow(/TURN_SECRET: At least 16 characters/);
    expect(() => parseConfig({ TURN_CREDENTIAL_TTL_SECONDS: '59' })).toThrow(/TURN_CREDENTIAL_TTL_SECONDS/);
  });
});
