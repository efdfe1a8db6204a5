import type { Kysely } from 'kysely';
import type { ParleyMigration } from './types';

/** Discord's REQUEST_TO_SPEAK (1 << 32): raising a hand on a stage. */
const REQUEST_TO_SPEAK = 1n << 32n;

/**
 * Stage channels (type 13): `voice_states.stage_suppress`, whether a participant of a stage is
 * in its audience (their `suppress` is this or no Speak), and `request_to_speak_at`, when they
 * raised their hand (null: down). Existing servers' @everyone gets Request to Speak, as new ones
 * do (Discord's default), so their members can raise a hand on a new stage.
 */
export const stage: ParleyMigration = {
  async up(db, t) {
    await db.schema
      .alterTable('voice_states')
      .addColumn('stage_suppress', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('voice_states').addColumn('request_to_speak_at', t.millis).execute();
    await grantRequestToSpeak(db);
  },
};

/** Gives every server's @everyone role (its ID is the guild's) Request to Speak, if it lacks it. */
export async function grantRequestToSpeak(db: Kysely<any>): Promise<void> {
  const everyoneRoles: { id: unknown; permissions: string }[] = await db.selectFrom('roles').select(['id', 'permissions']).whereRef('id', '=', 'guild_id').execute();
  for (const role of everyoneRoles) {
    const bits = BigInt(role.permissions);
    if ((bits & REQUEST_TO_SPEAK) !== 0n) continue;
    await db
      .updateTable('roles')
      .set({ permissions: String(bits | REQUEST_TO_SPEAK) })
      .where('id', '=', role.id)
      .execute();
  }
}
