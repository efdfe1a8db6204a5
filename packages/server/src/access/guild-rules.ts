import type { OverwriteLike, Snowflake } from '@parley/protocol';
import type { Kysely, Transaction } from 'kysely';
import type { GuildRow, RoleRow, Tables } from '../db/tables';

/**
 * A guild's rules: its roles and its channels' permission overwrites, what every permission
 * decision about the guild reads. Each node keeps them in memory per guild; the guild row's
 * `rules_version` says whether what it holds is still current. Reading the rows cost most of
 * what a governed guild adds to READY (198 overwrites and 20 roles: ~0.4 ms of ~2.5 ms,
 * bench/README.md "Roles and overwrites").
 *
 * Why a version on the row and not an invalidation over the bus: callers read the guild row
 * anyway, so checking costs nothing, and it holds across nodes with no window in which a node
 * that has not yet heard of a change serves the old rules.
 *
 * The rule for writers: whatever changes `roles` or `permission_overwrites` calls rulesChanged
 * in the same transaction (or after the change, never before it), so a reader that sees the new
 * version also sees the new rows.
 */
export interface GuildRules {
  /** Every role, lowest position first. */
  roles: readonly RoleRow[];
  /** Overwrites by channel. */
  overwrites: ReadonlyMap<Snowflake, readonly OverwriteLike[]>;
}

interface Cached extends GuildRules {
  version: number;
}

/** Guilds kept per database handle, least recently used dropped first. */
const MAX_GUILDS = 2_000;

/** Per database handle, so two servers in one process (tests) never share an entry. */
const caches = new WeakMap<Kysely<Tables>, Map<Snowflake, Cached>>();

/** Raises the guild's rules version: call it in the transaction that changes its roles or overwrites. */
export async function rulesChanged(trx: Kysely<Tables> | Transaction<Tables>, guildId: Snowflake): Promise<void> {
  await trx
    .updateTable('guilds')
    .set((eb) => ({ rules_version: eb('rules_version', '+', 1) }))
    .where('id', '=', guildId)
    .execute();
}

/**
 * The guild's rules as of at least the given row's version. The row must have been read before
 * this call: rows read after it are then at least as new as the version they are kept under.
 */
export async function guildRules(db: Kysely<Tables>, guild: Pick<GuildRow, 'id' | 'rules_version'>): Promise<GuildRules> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const held = cache.get(guild.id);
  if (held && held.version >= guild.rules_version) {
    cache.delete(guild.id);
    cache.set(guild.id, held);
    return held;
  }
  const [roles, overwriteRows] = await Promise.all([
    db.selectFrom('roles').selectAll().where('guild_id', '=', guild.id).orderBy('position').execute(),
    db
      .selectFrom('permission_overwrites')
      .innerJoin('channels', 'channels.id', 'permission_overwrites.channel_id')
      .selectAll('permission_overwrites')
      .where('channels.guild_id', '=', guild.id)
      .execute(),
  ]);
  const overwrites = new Map<Snowflake, OverwriteLike[]>();
  for (const row of overwriteRows) {
    const list = overwrites.get(row.channel_id) ?? [];
    list.push(Object.freeze({ id: row.target_id, type: row.type, allow: row.allow, deny: row.deny }));
    overwrites.set(row.channel_id, list);
  }
  // Shared by every reader from now on: frozen, so a caller that modifies them fails loudly.
  const rules: Cached = { version: guild.rules_version, roles: Object.freeze(roles.map((r) => Object.freeze(r))), overwrites };
  for (const list of overwrites.values()) Object.freeze(list);
  // A slower reader of an older version does not replace a newer entry.
  const current = cache.get(guild.id);
  if (!current || current.version <= rules.version) {
    cache.delete(guild.id);
    cache.set(guild.id, rules);
    if (cache.size > MAX_GUILDS) cache.delete(cache.keys().next().value!);
  }
  return rules;
}
