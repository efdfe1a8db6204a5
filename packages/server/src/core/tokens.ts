import { createHash, randomBytes, randomInt } from 'node:crypto';

/**
 * A new bearer secret: 32 random bytes, base64url. Never starts with "bot" or "bearer" in any
 * case, so it can't be mistaken for an `Authorization: Bot …` header by a client library.
 */
export function newToken(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const token = random(32).toString('base64url');
    if (!/^(bot|bearer)/i.test(token)) return token;
  }
}

/** Tokens are stored only as this hash, so a leaked database holds no usable tokens. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A short code people can type or paste (invites): base62-ish, no ambiguous characters. */
export function newCode(length = 10): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let code = '';
  for (let i = 0; i < length; i++) code += alphabet[randomInt(alphabet.length)];
  return code;
}
