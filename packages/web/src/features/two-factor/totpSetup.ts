/*
 * Setting up an authenticator app: a fresh secret and the otpauth:// URI its QR code carries
 * (Google's Key Uri Format, which every authenticator app reads). Here rather than in the sdk:
 * reached through the sdk's index from this lazy screen, it reshaped the chunks the chat screen
 * shares (about 1.3 KB more to load there); any client can make a base32 secret itself.
 */

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A new TOTP secret: 160 random bits (RFC 4226's recommendation) in base32, 32 characters. */
export function newTotpSecret(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(20));
  let bits = '';
  for (const byte of bytes) bits += byte.toString(2).padStart(8, '0');
  let secret = '';
  for (let i = 0; i < bits.length; i += 5) secret += BASE32[parseInt(bits.slice(i, i + 5), 2)];
  return secret;
}

/** `otpauth://totp/Parley:<username>?secret=…&issuer=Parley`: what the QR code says. */
export function totpUri(username: string, secret: string, issuer = 'Parley'): string {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(username)}`;
  return `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}&algorithm=SHA1&digits=6&period=30`;
}

/** The secret in groups of four, easier to type into an app by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}
