import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';

/**
 * The one place that evens out how the two drivers return 64-bit integers. Both are set up to
 * return them as BigInt (better-sqlite3 with safeIntegers, pg with an int8 parser), and this
 * plugin turns them into what the code expects: snowflake columns (`id`, `*_id`, `*_by`: who
 * did it, as reports' `resolved_by`) become
 * decimal strings, every other integer (counts, epoch-millisecond times, flags) a number.
 */
export class NormalizeIntegersPlugin implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    for (const row of args.result.rows) {
      for (const key in row) {
        const value = row[key];
        if (typeof value === 'bigint') row[key] = isIdColumn(key) ? value.toString() : Number(value);
      }
    }
    return args.result;
  }
}

function isIdColumn(name: string): boolean {
  return name === 'id' || name.endsWith('_id') || name.endsWith('_by');
}
