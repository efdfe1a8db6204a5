import path from 'node:path';
import Database from 'better-sqlite3';

/**
 * Writes history straight into the e2e server's SQLite file, as `features/messages/send.ts`
 * would store it: thousands of messages in a second, where the API (rightly rate-limited)
 * would take minutes. The server reads them like any others.
 */
const DB_FILE = path.resolve(process.env.E2E_DATA_DIR ?? '.test-output/e2e-data', 'parley.db');
const SNOWFLAKE_EPOCH = 1_420_070_400_000n;

/** A snowflake for a moment in the past, on a worker ID the running server does not use at that time. */
function snowflakeAt(millis: number, sequence: number): bigint {
  return ((BigInt(millis) - SNOWFLAKE_EPOCH) << 22n) | (1023n << 12n) | BigInt(sequence % 4096);
}

/**
 * `count` messages by one author in a guild channel, oldest first, `spacingMs` apart and ending
 * an hour ago. Their text says their number ("Message 42"), some run to several lines. Returns
 * the IDs, oldest first.
 */
export function seedMessages(options: { guildId: string; channelId: string; authorId: string; count: number; spacingMs: number }): string[] {
  const db = new Database(DB_FILE);
  db.pragma('busy_timeout = 10000');
  const insert = db.prepare(
    `insert into messages (id, channel_id, guild_id, author_id, content, type, flags, reference_message_id, reference_channel_id,
       mention_everyone, mention_roles, pinned_at, edited_at, has_attachments, has_images)
     values (?, ?, ?, ?, ?, 0, 0, null, null, 0, '[]', null, null, 0, 0)`,
  );
  const end = Date.now() - 3_600_000;
  const ids: string[] = [];
  db.transaction(() => {
    for (let n = 1; n <= options.count; n++) {
      const id = snowflakeAt(end - (options.count - n) * options.spacingMs, n);
      const extra = n % 7 === 0 ? `\nwith a second line\nand a third, so rows differ in height` : '';
      insert.run(id, BigInt(options.channelId), BigInt(options.guildId), BigInt(options.authorId), `Message ${n}${extra}`);
      ids.push(id.toString());
    }
    db.prepare('update channels set last_message_id = ? where id = ?').run(BigInt(ids.at(-1)!), BigInt(options.channelId));
  })();
  db.close();
  return ids;
}
