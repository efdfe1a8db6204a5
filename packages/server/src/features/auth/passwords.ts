import { hash, verify } from '@node-rs/argon2';

/** argon2id (the library's default algorithm) at 19 MiB and 2 passes: OWASP's recommended floor. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
}

/**
 * Checks a password against a stored hash. With no hash (unknown user, or a guest) it still
 * spends the time of a real check, so response times don't reveal which usernames exist.
 */
export async function verifyPassword(storedHash: string | null, password: string): Promise<boolean> {
  if (!storedHash) {
    dummyHash ??= hashPassword('parley-timing-equaliser');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  return verify(storedHash, password).catch(() => false);
}

let dummyHash: Promise<string> | null = null;
