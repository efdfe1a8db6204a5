import { opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import { SNOWFLAKE_EPOCH, type Snowflake } from '@parley/protocol';
import type { DayCount, InstanceStats } from '@parley/protocol/admin';
import { type RawBuilder, sql } from 'kysely';
import type { AppContext } from '../../context';
import type { GatewayNodes } from './nodes';

const DAY_MS = 86_400_000;
/** Days in each series, today included. */
const DAYS = 30;
/** Files counted under the data directory at most (a huge store is reported as at least this much). */
const MAX_WALKED_FILES = 200_000;

/** The first snowflake of a millisecond (messages carry their time in their ID). */
const snowflakeAt = (ms: number) => ((BigInt(ms) - SNOWFLAKE_EPOCH) << 22n).toString() as Snowflake;

/** Fills the days nothing happened on with zeros, oldest first. */
function series(from: number, rows: readonly { day: number | string; n: number | string | null }[], scale = 1): DayCount[] {
  // Summed per floored day: should a row's day come back fractional, its rows still add up.
  const byDay = new Map<number, number>();
  for (const r of rows) byDay.set(Math.floor(Number(r.day)), (byDay.get(Math.floor(Number(r.day))) ?? 0) + Number(r.n ?? 0));
  return Array.from({ length: DAYS }, (_, i) => ({ day: new Date(from + i * DAY_MS).toISOString().slice(0, 10), count: Math.round((byDay.get(i) ?? 0) / scale) }));
}

/** Bytes under a directory, walked with a cap on the number of entries. */
async function directoryBytes(root: string): Promise<number> {
  let total = 0;
  let seen = 0;
  const walk = async (dir: string): Promise<void> => {
    let handle;
    try {
      handle = await opendir(dir);
    } catch {
      return; // gone meanwhile, or not there (no files yet)
    }
    for await (const entry of handle) {
      if (++seen > MAX_WALKED_FILES) return;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile())
        total += await stat(full).then(
          (s) => s.size,
          () => 0,
        );
    }
  };
  await walk(root);
  return total;
}

/**
 * The numbers of the admin portal's statistics page. Days are UTC days; "active" means the
 * account (a person with a login, not a guest) signed in or used a session that day
 * (user_activity, written by auth/sessions.ts). Call figures come from call_history and call_participation, written as
 * calls end and people leave, so a call still going counts once it is over.
 */
export async function instanceStats(ctx: AppContext, nodes: GatewayNodes): Promise<InstanceStats> {
  const { db } = ctx;
  const now = ctx.clock.now();
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const from = today - (DAYS - 1) * DAY_MS;
  // Literals, not bound numbers: SQLite binds a JS number as REAL, which would make the division
  // fractional and the grouping one row per event.
  const dayOf = (column: RawBuilder<unknown>) => sql<number>`(${column} - ${sql.lit(from)}) / ${sql.lit(DAY_MS)}`;

  const activeSince = async (sinceDay: number) => {
    const row = await db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('bot', '=', 0)
      .where('guest', '=', 0)
      .where('deleted_at', 'is', null)
      .where('id', 'in', (eb) => eb.selectFrom('user_activity').select('user_id').where('day', '>=', sinceDay))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  const count = async (query: Promise<{ n: number | string | bigint } | undefined>) => Number((await query)?.n ?? 0);

  const people = db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('bot', '=', 0)
    .where('deleted_at', 'is', null);
  // Grouped by the output column: PostgreSQL would not see two parametrised copies of an expression as equal.
  const byDay = sql.ref('day');
  const messageDay = sql<number>`(${sql.ref('id')} / 4194304 + ${sql.lit(Number(SNOWFLAKE_EPOCH) - from)}) / ${sql.lit(DAY_MS)}`;

  const [total, guests, disabled, minors, activeToday, activeWeek, messages, liveCalls, calls, minutes, attachments, reports, flags, openReports, nodeRows, dataDir] = await Promise.all([
    count(people.where('guest', '=', 0).executeTakeFirst()),
    count(people.where('guest', '=', 1).executeTakeFirst()),
    count(people.where('disabled_at', 'is not', null).executeTakeFirst()),
    count(people.where('minor', '=', 1).executeTakeFirst()),
    activeSince(today / DAY_MS),
    activeSince(today / DAY_MS - 6),
    db
      .selectFrom('messages')
      .select([messageDay.as('day'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('id', '>=', snowflakeAt(from))
      .groupBy(byDay)
      .execute(),
    count(
      db
        .selectFrom('calls')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst(),
    ),
    db
      .selectFrom('call_history')
      .select([dayOf(sql.ref('ended_at')).as('day'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('ended_at', '>=', from)
      .groupBy(byDay)
      .execute(),
    db
      .selectFrom('call_participation')
      .select([dayOf(sql.ref('left_at')).as('day'), sql<number>`sum(${sql.ref('left_at')} - ${sql.ref('joined_at')})`.as('n')])
      .where('left_at', '>=', from)
      .groupBy(byDay)
      .execute(),
    db
      .selectFrom('attachments')
      .select(sql<number>`coalesce(sum(${sql.ref('size')}), 0)`.as('n'))
      .executeTakeFirst(),
    db
      .selectFrom('reports')
      .select([dayOf(sql.ref('created_at')).as('day'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('created_at', '>=', from)
      .where('reporter_id', 'is not', null)
      .groupBy(byDay)
      .execute(),
    db
      .selectFrom('reports')
      .select([dayOf(sql.ref('created_at')).as('day'), (eb) => eb.fn.countAll<number>().as('n')])
      .where('created_at', '>=', from)
      .where('reporter_id', 'is', null)
      .groupBy(byDay)
      .execute(),
    count(
      db
        .selectFrom('reports')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'open')
        .executeTakeFirst(),
    ),
    nodes.list(),
    directoryBytes(ctx.config.dataDir),
  ]);
  const minutesPerDay = series(from, minutes, 60_000);
  return {
    generated_at: new Date(now).toISOString(),
    users: { total, guests, disabled, minors, active_today: activeToday, active_week: activeWeek },
    messages_per_day: series(from, messages),
    calls: {
      live: liveCalls,
      per_day: series(from, calls),
      minutes_per_day: minutesPerDay,
      total_minutes: Math.round(minutes.reduce((sum, r) => sum + Number(r.n ?? 0), 0) / 6_000) / 10,
    },
    storage: { attachments_bytes: Number(attachments?.n ?? 0), data_dir_bytes: dataDir },
    nodes: nodeRows.map((n) => ({ id: n.id, connections: n.connections, seen_at: new Date(n.seen_at).toISOString(), current: n.id === nodes.id })),
    reports_per_day: series(from, reports),
    flags_per_day: series(from, flags),
    open_reports: openReports,
  };
}
