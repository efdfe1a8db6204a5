import { RelationshipType, type Snowflake, type UserGuildSettings } from '@parley/protocol';
import type { Kysely } from 'kysely';
import { BatchedRead } from '../db/batched-read';
import type { Tables, UserRow } from '../db/tables';
import { type DmMembership, dmMembershipsOfMany } from '../features/channels/dms';
import { userGuildSettingsOfMany } from '../features/notifications/settings';
import { usersByIds } from '../features/users/queries';
import { dmPartnersOfMany } from '../presence/partners';
import { type Memberships, membershipsOfMany } from './ready';

/**
 * What an IDENTIFY reads about its user, each read for every identify under way at once in one
 * statement (db/batched-read.ts): a join storm's identifies share their statements.
 */
export class IdentifyReads {
  /** Their member rows and roles, by guild. */
  readonly memberships: BatchedRead<Snowflake, Memberships>;
  /** Their DMs (any state but declined), with their read positions and recipients. */
  readonly dms: BatchedRead<Snowflake, DmMembership[]>;
  /** Whom they talk to in DMs (presence/partners.ts). */
  readonly partners: BatchedRead<Snowflake, Snowflake[]>;
  /** Whom they blocked. */
  readonly blocked: BatchedRead<Snowflake, Snowflake[]>;
  readonly notificationSettings: BatchedRead<Snowflake, UserGuildSettings[]>;
  /** Users by ID (their DMs' recipients). */
  private readonly users: BatchedRead<Snowflake, UserRow | undefined>;

  constructor(db: Kysely<Tables>) {
    this.memberships = new BatchedRead(
      (ids) => membershipsOfMany(db, ids),
      () => new Map(),
    );
    this.dms = new BatchedRead(
      (ids) => dmMembershipsOfMany(db, ids),
      () => [],
    );
    this.partners = new BatchedRead(
      (ids) => dmPartnersOfMany(db, ids),
      () => [],
    );
    this.blocked = new BatchedRead(
      (ids) => blockedByMany(db, ids),
      () => [],
    );
    this.notificationSettings = new BatchedRead(
      (ids) => userGuildSettingsOfMany(db, ids),
      () => [],
    );
    this.users = new BatchedRead(
      (ids) => usersByIds(db, ids),
      () => undefined,
    );
  }

  async usersByIds(ids: readonly Snowflake[]): Promise<Map<Snowflake, UserRow>> {
    const rows = await Promise.all(ids.map((id) => this.users.load(id)));
    return new Map(rows.flatMap((row) => (row ? [[row.id, row] as const] : [])));
  }
}

async function blockedByMany(db: Kysely<Tables>, userIds: readonly Snowflake[]): Promise<Map<Snowflake, Snowflake[]>> {
  const rows = await db.selectFrom('relationships').select(['user_id', 'other_id']).where('user_id', 'in', userIds).where('type', '=', RelationshipType.BLOCKED).execute();
  const byUser = new Map<Snowflake, Snowflake[]>();
  for (const { user_id, other_id } of rows) byUser.set(user_id, [...(byUser.get(user_id) ?? []), other_id]);
  return byUser;
}
