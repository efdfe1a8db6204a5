import type { RegistrationInvite, Snowflake } from '@parley/protocol';
import { type Kysely, sql } from 'kysely';
import type { Clock } from '../../core/clock';
import { newCode } from '../../core/tokens';
import type { RegistrationInviteRow, Tables } from '../../db/tables';
import { ApiError } from '../../http/errors';

/** Invites that let people sign up while the registration mode is "invite". */
export class RegistrationInvites {
  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
  ) {}

  async create(options: { maxUses: number; maxAgeSeconds: number; createdBy: Snowflake | null }): Promise<RegistrationInvite> {
    const now = this.clock.now();
    const row: RegistrationInviteRow = {
      code: newCode(),
      created_by_id: options.createdBy,
      uses: 0,
      max_uses: options.maxUses,
      expires_at: options.maxAgeSeconds ? now + options.maxAgeSeconds * 1000 : null,
      created_at: now,
    };
    await this.db.insertInto('registration_invites').values(row).execute();
    return toInvite(row);
  }

  async list(): Promise<RegistrationInvite[]> {
    const rows = await this.db.selectFrom('registration_invites').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map(toInvite);
  }

  async revoke(code: string): Promise<void> {
    const result = await this.db.deleteFrom('registration_invites').where('code', '=', code).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new ApiError('UNKNOWN_INVITE');
  }

  /**
   * Uses up one invite, inside the caller's transaction so a failed sign-up gives it back.
   * A single conditional UPDATE: two people racing for the last use cannot both get it.
   * Returns false when the code is unknown, expired or used up.
   */
  async consume(trx: Kysely<Tables>, code: string): Promise<boolean> {
    const now = this.clock.now();
    const result = await trx
      .updateTable('registration_invites')
      .set({ uses: sql`uses + 1` })
      .where('code', '=', code)
      .where((eb) => eb.or([eb('max_uses', '=', 0), eb('uses', '<', eb.ref('max_uses'))]))
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

function toInvite(row: RegistrationInviteRow): RegistrationInvite {
  return {
    code: row.code,
    uses: row.uses,
    max_uses: row.max_uses,
    expires_at: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    created_at: new Date(row.created_at).toISOString(),
    created_by: row.created_by_id,
  };
}
