import type { Message, Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Tables, UserRow } from '../../db/tables';
import { heldFrom } from '../../access/safety';
import { heldAmong, maskHeld } from './policy';

/**
 * Messages as this viewer may read them (history, a single message, pins, search): for a minor,
 * held ones (and held ones they reply to) become "held for review" placeholders, but their own.
 * Adults pay nothing; a minor's page costs one indexed query.
 */
export async function maskForViewer<M extends Message>(db: Kysely<Tables>, viewer: Pick<UserRow, 'id' | 'minor'>, messages: M[]): Promise<M[]> {
  if (!heldFrom(viewer) || messages.length === 0) return messages;
  const authors = new Map<Snowflake, Snowflake>();
  for (const m of messages) {
    authors.set(m.id, m.author.id);
    if (m.referenced_message) authors.set(m.referenced_message.id, m.referenced_message.author.id);
  }
  const held = await heldAmong(db, [...authors.keys()]);
  for (const id of held) if (authors.get(id) === viewer.id) held.delete(id);
  if (held.size === 0) return messages;
  return messages.map((m) => maskHeld(m, held) as M);
}
