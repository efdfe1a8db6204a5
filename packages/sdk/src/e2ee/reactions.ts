import { SEALED_REACTION_PREFIX } from '@parley/protocol';
import sodium from 'libsodium-wrappers-sumo';

/*
 * Reactions in end-to-end encrypted conversations. The server must count equal reactions
 * together and tell who reacted, but must not learn the emoji: a reaction is a keyed hash
 * (BLAKE2b, libsodium's generichash) of the message ID and the emoji, under the message's own
 * random reaction key, which travels inside its sealed text (and stays the same across edits).
 * Every device that reads the message computes the same token; a reader finds which emoji a
 * token is by hashing the emoji it knows (the picker's list) and comparing. The server learns
 * only that two people reacted to the same message with the same emoji.
 */

const TOKEN_BYTES = 16;

function tokenOf(key: Uint8Array, messageId: string, emoji: string): string {
  const tag = sodium.crypto_generichash(TOKEN_BYTES, `${messageId}\n${emoji}`, key);
  return SEALED_REACTION_PREFIX + sodium.to_base64(tag, sodium.base64_variants.URLSAFE_NO_PADDING);
}

/** A new message's reaction key. */
export function newReactionKey(): Uint8Array {
  return sodium.randombytes_buf(sodium.crypto_generichash_KEYBYTES);
}

/** The sealed reaction for an emoji on a message, under its reaction key. */
export function sealedReaction(reactionKey: Uint8Array, messageId: string, emoji: string): string {
  return tokenOf(reactionKey, messageId, emoji);
}

/** Which of the candidate emoji each sealed reaction is (those found; the rest are unknown). */
export function openReactions(reactionKey: Uint8Array, messageId: string, tokens: Iterable<string>, candidates: Iterable<string>): Map<string, string> {
  const wanted = new Set(tokens);
  const found = new Map<string, string>();
  if (wanted.size === 0) return found;
  for (const emoji of candidates) {
    const token = tokenOf(reactionKey, messageId, emoji);
    if (!wanted.has(token)) continue;
    found.set(token, emoji);
    if (found.size === wanted.size) break;
  }
  return found;
}
