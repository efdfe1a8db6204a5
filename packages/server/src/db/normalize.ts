import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/**
 * The one place that evens out how the two drivers return 64-bit integers. Both are set up to
 * return them as BigInt (better-sqlite3 with safeIntegers, pg with an int8 parser), and this
 * plugin turns them into what the code expects: snowflake columns (`id`, `*_id`, `*_by`: who
 * did it, as reports' `resolved_by`) become
 * decimal strings, every other integer (counts, epoch-millisecond times, flags) a number.
 * SQLite's rows are built already normalized (sqlite-statements.ts), so only PostgreSQL's pass
 * through the plugin.
 */
export class NormalizeIntegersPlugin implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    for (const row of args.result.rows) {
      for (const key in row) {
        const value = row[key];
        if (typeof value === 'bigint') row[key] = isIdColumn(key) ? idValue(value) : numberValue(value);
      }
    }
    return args.result;
  }
}

export function isIdColumn(name: string): boolean {
  return name === 'id' || name.endsWith('_id') || name.endsWith('_by');
}

/** A snowflake column's value: 64-bit integers as decimal strings, anything else as it is. */
export function idValue(value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Any other column's value: 64-bit integers as numbers (they fit: counts, times, flags). */
export function numberValue(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}
