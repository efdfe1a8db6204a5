import SQLite from 'better-sqlite3';
import pg from 'pg';

/** The SQL statements this process ran between start() and stop(). */
export interface StatementLog {
  statements: string[];
  stop(): string[];
}

/**
 * Counts every SQL statement executed in this process from now until stop(), on either engine,
 * at the driver (pg's Client#query, better-sqlite3's Statement run/get/all/iterate), so BEGIN and
 * COMMIT count like any other round trip. What bench/lib/sql-counter.cjs counts in a bench
 * server, for a test: run nothing else in the process meanwhile.
 */
export function recordStatements(): StatementLog {
  const statements: string[] = [];
  const restore: (() => void)[] = [];
  const wrap = (proto: Record<string, unknown>, name: string, textOf: (self: unknown, args: unknown[]) => string) => {
    const original = proto[name] as (...args: unknown[]) => unknown;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      statements.push(textOf(this, args));
      return original.apply(this, args);
    };
    restore.push(() => (proto[name] = original));
  };
  wrap(pg.Client.prototype as unknown as Record<string, unknown>, 'query', (_self, args) => {
    const first = args[0] as string | { text?: string };
    return typeof first === 'string' ? first : String(first?.text);
  });
  const probe = new SQLite(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>;
  probe.close();
  for (const name of ['run', 'get', 'all', 'iterate']) wrap(statementProto, name, (self) => (self as { source: string }).source);
  return {
    statements,
    stop() {
      for (const undo of restore.reverse()) undo();
      return statements;
    },
  };
}
