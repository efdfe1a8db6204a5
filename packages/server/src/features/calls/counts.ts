import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables';

/** Calls going on and the people in them, the instance's (the `parley_calls` and `parley_call_participants` gauges). */
export async function countCalls(db: Kysely<Tables>): Promise<{ calls: number; participants: number }> {
  const [calls, participants] = await Promise.all([
    db
      .selectFrom('calls')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('voice_states')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { calls: Number(calls.n), participants: Number(participants.n) };
}
