import { describe, expect, it } from 'vitest';
import { UNCACHED_COLUMNS_ONLY, tablesWritten } from './write-observer';

describe('tablesWritten', () => {
  it('names the tables an insert, update, delete or upsert writes, in WITH parts too, on both engines', () => {
    expect(tablesWritten('select * from "members" where "guild_id" = $1')).toEqual([]);
    expect(tablesWritten('insert into "members" ("guild_id") values (?)')).toEqual(['members']);
    expect(tablesWritten('update "roles" set "permissions" = $1 where "id" = $2')).toEqual(['roles']);
    expect(tablesWritten('delete from "sessions" where "id" = $1 returning "id"')).toEqual(['sessions']);
    expect(tablesWritten('insert into "read_states" ("user_id") values ($1) on conflict ("user_id", "channel_id") do update set "last_message_id" = $2')).toEqual(['read_states']);
    expect(tablesWritten('with "w0" as (insert into "messages" (…) values ($1)), "w1" as (update "channels" set "x" = $2) select 1')).toEqual(['messages', 'channels']);
    expect(tablesWritten('UPDATE members SET nick = ?')).toEqual(['members']);
  });

  it('leaves out a statement marked as writing only columns no cache holds', () => {
    expect(tablesWritten(`update "channels" set "last_message_id" = $1 where "id" = $2 ${UNCACHED_COLUMNS_ONLY}`)).toEqual([]);
  });
});
