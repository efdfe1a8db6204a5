import { describe, expect, it } from 'vitest';
import { statementKind } from './metrics';

describe('statementKind (the label of parley_db_query_seconds)', () => {
  it('is the first word of a plain statement', () => {
    expect(statementKind('select * from "users" where "id" = $1')).toBe('select');
    expect(statementKind('INSERT INTO t VALUES (?)')).toBe('insert');
    expect(statementKind('  (select 1) union (select 2)')).toBe('select');
    expect(statementKind('update t set a = 1')).toBe('update');
    expect(statementKind('delete from t')).toBe('delete');
    expect(statementKind('begin')).toBe('other');
    expect(statementKind('create table t (id int)')).toBe('other');
  });

  it('is what a WITH statement does: its main statement if it writes, else the first CTE that writes', () => {
    // The shape of a send on PostgreSQL (features/messages/send.ts).
    expect(statementKind('with "w0" as (insert into "messages" values ($1) returning 1), "w1" as (update "channels" set "last_message_id" = $2) select 1')).toBe('insert');
    expect(statementKind('WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a')).toBe('insert');
    expect(statementKind('with a as materialized (select 1) select * from a')).toBe('select');
    expect(statementKind('with recursive r(n) as (select 1 union select n + 1 from r) delete from t where id in (select n from r)')).toBe('delete');
    // Words inside quotes are names, not statements.
    expect(statementKind('with "update" as (select \'delete\') select 1')).toBe('select');
  });
});
