import type { Snowflake } from '@parley/protocol';
import type { ConversationIndex, SearchIndexStore } from '@parley/sdk/e2ee';
import { sealedTable } from './sealedStorage';

const indexes = () => sealedTable<ConversationIndex>('parley-e2ee-search', 'indexes');

/** One account's on-device search indexes of encrypted conversations, sealed at rest in IndexedDB. */
export function browserSearchIndexStore(userId: Snowflake): SearchIndexStore & { forget(): Promise<void> } {
  return {
    load: (channelId) => indexes().get(`${userId}:${channelId}`),
    save: (channelId, index) => indexes().put(`${userId}:${channelId}`, index),
    // Every conversation of this account: keys from "<user>:" up to "<user>;" (the next character).
    forget: () => indexes().delete(IDBKeyRange.bound(`${userId}:`, `${userId};`, false, true)),
  };
}
