import { SNOWFLAKE_EPOCH, type Snowflake } from '@parley/protocol';
import SQLite from 'better-sqlite3';
import pg from 'pg';

/** Seeded messages use this worker ID, which no bench node uses, so IDs never collide. */
const SEED_WORKER = 1000n;
/** One message every 20 s of history: a million messages reach back about 230 days. */
const SPACING_MS = 20_000;

/** Where seeded history goes: a channel, its guild, and who wrote the messages. */
export interface SeedTarget {
  channelId: Snowflake;
  guildId: Snowflake;
  authorIds: readonly Snowflake[];
  count: number;
  /** Time of the newest seeded message (epoch ms); older ones are spaced before it. */
  newestAt: number;
}

/**
 * The ID of seeded message `i` (0 = oldest), in the server's snowflake layout: milliseconds
 * since Discord's epoch, worker ID, per-millisecond sequence. Computable without a query,
 * so the history requests can aim at any depth.
 */
export function seededId(target: SeedTarget, i: number): bigint {
  const at = BigInt(target.newestAt - (target.count - 1 - i) * SPACING_MS);
  return ((at - SNOWFLAKE_EPOCH) << 22n) | (SEED_WORKER << 12n) | BigInt(i & 0xfff);
}

const WORDS = (
  'the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an ' +
  'each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could ' +
  'people my than first water been call who oil its now find long down day did get come made may part over new sound take only little work know place year live me back give ' +
  'most very after thing our just name good sentence man think say great where help through much before line right too mean old any same tell boy follow came want show also ' +
  'around form three small set put end does another well large must big even such because turn here why ask went men read need land different home us move try kind hand ' +
  'picture again change off play spell air away animal house point page letter mother answer found study still learn should world deploy merge review ship release bug fix'
).split(' ');

/** A deterministic generator (mulberry32), so every run seeds the same text. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 4 to 40 words of chat-like text. */
export function sentence(next: () => number): string {
  const words = 4 + Math.floor(next() * 37);
  const out: string[] = [];
  for (let w = 0; w < words; w++) out.push(WORDS[Math.floor(next() * WORDS.length)]!);
  return out.join(' ');
}

/**
 * Writes the messages straight into the SQLite file (the server must be stopped): one prepared
 * INSERT in transactions of `batch` rows. The FTS5 triggers stay in place, so the search index
 * is filled exactly as the server's own inserts would fill it (and that cost is measured).
 */
export function seedSqlite(file: string, target: SeedTarget, batch: number, onProgress: (done: number) => void): void {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.defaultSafeIntegers(true);
  const insert = db.prepare(
    `insert into messages (id, channel_id, guild_id, author_id, content, type, flags, mention_everyone, mention_roles, has_attachments, has_images)
     values (?, ?, ?, ?, ?, 0, 0, 0, '[]', 0, 0)`,
  );
  const channelId = BigInt(target.channelId);
  const guildId = BigInt(target.guildId);
  const authors = target.authorIds.map(BigInt);
  const next = random(42);
  const insertRange = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) insert.run(seededId(target, i), channelId, guildId, authors[i % authors.length]!, sentence(next));
  });
  for (let from = 0; from < target.count; from += batch) {
    insertRange(from, Math.min(target.count, from + batch));
    onProgress(Math.min(target.count, from + batch));
  }
  db.prepare('update channels set last_message_id = ? where id = ?').run(seededId(target, target.count - 1), channelId);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/**
 * The PostgreSQL equivalent: INSERT … SELECT over generate_series in batches, same IDs, text
 * made from the row number (the tsvector column and its GIN index are maintained as usual).
 */
export async function seedPostgres(url: string, schema: string, target: SeedTarget, batch: number, onProgress: (done: number) => void): Promise<void> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path="${schema}"` });
  await client.connect();
  try {
    const oldestAt = target.newestAt - (target.count - 1) * SPACING_MS;
    for (let from = 0; from < target.count; from += batch) {
      const to = Math.min(target.count, from + batch);
      await client.query(
        `insert into messages (id, channel_id, guild_id, author_id, content, type, flags, mention_everyone, mention_roles, has_attachments, has_images)
         select ((($1::bigint + g::bigint * ${SPACING_MS} - ${SNOWFLAKE_EPOCH}) << 22) | (${SEED_WORKER} << 12) | (g & 4095)),
                $2, $3, ($4::bigint[])[1 + g % cardinality($4::bigint[])],
                'message ' || g || ' about ' || substr(md5(g::text), 1, 8) || ' and ' || substr(md5((g * 7)::text), 1, 12),
                0, 0, 0, '[]', 0, 0
         from generate_series($5::int, $6::int) g`,
        [oldestAt, target.channelId, target.guildId, target.authorIds, from, to - 1],
      );
      onProgress(to);
    }
    await client.query('update channels set last_message_id = $1 where id = $2', [seededId(target, target.count - 1).toString(), target.channelId]);
  } finally {
    await client.end();
  }
}
