/**
 * Preloaded into a bench server (`NODE_OPTIONS=--require …/sql-counter.cjs`, with
 * BENCH_SQL_COUNT_FILE set): counts every SQL statement the server executes — better-sqlite3's
 * Statement run/get/all/iterate and `exec`, pg's Client#query — and writes the running total to
 * that file every 100 ms. The governance scenario reads it around a number of sends to get
 * statements per send. Wrapping adds a counter increment per statement, nothing else (unless
 * BENCH_SQL_TIMINGS_FILE asks for timings too).
 */
'use strict';
const fs = require('node:fs');

const file = process.env.BENCH_SQL_COUNT_FILE;
// BENCH_SQL_TIMINGS_FILE: also the time spent per statement text (SQLite: synchronous, so exact),
// written as JSON, most time first: where a phase's SQL time goes.
const timingsFile = process.env.BENCH_SQL_TIMINGS_FILE;
const timings = new Map();
if (file) {
  let count = 0;
  const wrap = (proto, name) => {
    const original = proto[name];
    if (typeof original !== 'function' || original.__benchCounted) return;
    const counted = timingsFile
      ? function (...args) {
          count++;
          const started = process.hrtime.bigint();
          try {
            return original.apply(this, args);
          } finally {
            const sql = typeof this.source === 'string' ? this.source : String(args[0]?.text ?? args[0]).slice(0, 300);
            const t = timings.get(sql) ?? { n: 0, ns: 0n };
            t.n++;
            t.ns += process.hrtime.bigint() - started;
            timings.set(sql, t);
          }
        }
      : function (...args) {
          count++;
          return original.apply(this, args);
        };
    counted.__benchCounted = true;
    proto[name] = counted;
  };
  try {
    const Database = require('better-sqlite3');
    const probe = new Database(':memory:');
    const statementProto = Object.getPrototypeOf(probe.prepare('select 1'));
    for (const name of ['run', 'get', 'all', 'iterate']) wrap(statementProto, name);
    wrap(Database.prototype, 'exec');
    probe.close();
  } catch {
    // No SQLite here.
  }
  try {
    wrap(require('pg').Client.prototype, 'query');
  } catch {
    // No pg here.
  }
  let written = -1;
  setInterval(() => {
    if (count === written) return;
    written = count;
    fs.writeFileSync(file, String(count));
    if (timingsFile) {
      const rows = [...timings].map(([sql, t]) => ({ ms: Number(t.ns) / 1e6, n: t.n, sql })).sort((a, b) => b.ms - a.ms);
      fs.writeFileSync(timingsFile, JSON.stringify(rows, null, 1));
    }
  }, 100).unref();
}
