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

describe('configuration of single sign-on', () => {
  const provider = { id: 'keycloak', name: 'Keycloak', issuer: 'https://id.example.org/realms/parley', client_id: 'parley', client_secret: 's3cret' };

  it('reads OIDC_PROVIDERS and SSO_ONLY', () => {
    const config = parseConfig({ OIDC_PROVIDERS: JSON.stringify([provider]), PUBLIC_URL: 'https://chat.example.org/', SSO_ONLY: 'true' });
    expect(config.sso).toEqual({ providers: [provider], ssoOnly: true });
    expect(config.publicUrl).toBe('https://chat.example.org');
    expect(parseConfig({}).sso).toEqual({ providers: [], ssoOnly: false });
  });

  it('explains what is wrong', () => {
    const env = (providers: unknown, extra: Record<string, string> = { PUBLIC_URL: 'https://chat.example.org' }) => ({
      OIDC_PROVIDERS: typeof providers === 'string' ? providers : JSON.stringify(providers),
      ...extra,
    });
    expect(() => parseConfig(env([provider], {}))).toThrow(/PUBLIC_URL: Required when OIDC_PROVIDERS is set/);
    expect(() => parseConfig(env('[{'))).toThrow(/OIDC_PROVIDERS: Must be a JSON array/);
    expect(() => parseConfig(env({ id: 'x' }))).toThrow(/OIDC_PROVIDERS: Must be a JSON array/);
    expect(() => parseConfig(env([{ ...provider, id: 'Key Cloak' }]))).toThrow(/OIDC_PROVIDERS\.0\.id: Must be 1–32 lowercase letters/);
    expect(() => parseConfig(env([{ ...provider, issuer: 'http://id.example.org' }]))).toThrow(/OIDC_PROVIDERS\.0\.issuer: Must be an https:\/\/ URL/);
    expect(() => parseConfig(env([{ ...provider, client_secret: '' }]))).toThrow(/OIDC_PROVIDERS\.0\.client_secret/);
    expect(() => parseConfig(env([provider, provider]))).toThrow(/Each provider needs its own id/);
    expect(() => parseConfig({ SSO_ONLY: 'true' })).toThrow(/SSO_ONLY: Needs at least one provider/);
    expect(() => parseConfig({ SSO_ONLY: 'yes' })).toThrow(/SSO_ONLY: Must be true or false/);
    // Plain HTTP is fine for a provider on this machine.
    expect(parseConfig(env([{ ...provider, issuer: 'http://127.0.0.1:18085' }])).sso.providers[0]!.issuer).toBe('http://127.0.0.1:18085');
  });
});

describe('configuration of TLS', () => {
  it('reads the certificate and key paths (made absolute) and the redirect port', () => {
    const config = parseConfig({ TLS_CERT: 'tls/cert.pem', TLS_KEY: '/etc/parley/key.pem', HTTP_REDIRECT_PORT: '8081' });
    expect(config.tls).toEqual({ certFile: expect.stringMatching(/^\/.*\/tls\/cert\.pem$/), keyFile: '/etc/parley/key.pem', redirectPort: 8081 });
    expect(parseConfig({ TLS_CERT: '/c.pem', TLS_KEY: '/k.pem' }).tls?.redirectPort).toBeNull();
    expect(parseConfig({}).tls).toBeNull();
  });

  it('refuses half a TLS setting, and a redirect port without TLS or on PORT', () => {
    expect(() => parseConfig({ TLS_CERT: '/c.pem' })).toThrow(/TLS_KEY: Required when TLS_CERT is set/);
    expect(() => parseConfig({ TLS_KEY: '/k.pem' })).toThrow(/TLS_CERT: Required when TLS_KEY is set/);
    expect(() => parseConfig({ HTTP_REDIRECT_PORT: '8081' })).toThrow(/HTTP_REDIRECT_PORT: Needs TLS_CERT and TLS_KEY/);
    expect(() => parseConfig({ TLS_CERT: '/c.pem', TLS_KEY: '/k.pem', PORT: '8443', HTTP_REDIRECT_PORT: '8443' })).toThrow(/HTTP_REDIRECT_PORT: Must differ from PORT/);
  });
});
