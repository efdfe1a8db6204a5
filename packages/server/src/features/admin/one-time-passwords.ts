import { randomBytes } from 'node:crypto';
import { hash } from '@node-rs/argon2';

/** 16 characters from a URL-safe alphabet (96 random bits): typed once, then replaced. */
export function oneTimePassword(): string {
  return randomBytes(12).toString('base64url');
}

/**
 * Hashes a one-time password. It is 96 random bits, not something a person chose, so no guessing
 * attack gains from a slow hash (as with session tokens, stored as SHA-256): argon2id at 1 MiB
 * and 1 pass keeps provisioning 10,000 accounts to seconds, and `verifyPassword` checks it like
 * any other PHC string. The password its owner then chooses gets the full cost (auth/passwords.ts).
 */
export function hashOneTimePassword(password: string): Promise<string> {
  return hash(password, { memoryCost: 1024, timeCost: 1, parallelism: 1 });
}

/** How many hashes run at once: libuv's thread pool holds 4, and requests still need some. */
const HASH_CONCURRENCY = 2;

/** Maps `items` through `work` with at most `concurrency` in flight, keeping the order. */
export async function mapBounded<T, R>(items: readonly T[], work: (item: T) => Promise<R>, concurrency = HASH_CONCURRENCY): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
