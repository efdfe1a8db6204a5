import type { FastifyInstance } from 'fastify';
import { type KeyBackup, type PassphraseWrap, e2eeRoutes as e2eeApi } from '@parley/protocol/e2ee';
import type { AppContext } from '../../context';
import type { E2eeBackupsTable } from '../../db/tables';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';

const toBackup = (row: E2eeBackupsTable): KeyBackup => ({
  version: row.version,
  passphrase: row.passphrase === null ? null : (JSON.parse(row.passphrase) as PassphraseWrap),
  ciphertext: row.ciphertext,
  updated_at: new Date(row.updated_at).toISOString(),
});

/**
 * Each person's key backup (docs/e2ee.md): stored as it comes, opened only on their devices.
 * Writes name the version they replace, so two devices backing up at once cannot lose each
 * other's keys: the second is refused (90076), merges what the first wrote, and writes again.
 */
export function keyBackupRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  route(e2eeApi.getBackup, async ({ auth }) => {
    const row = await db.selectFrom('e2ee_backups').selectAll().where('user_id', '=', auth.user.id).executeTakeFirst();
    if (!row) throw new ApiError('NO_BACKUP');
    return toBackup(row);
  });

  route(e2eeApi.putBackup, async ({ auth, body }) => {
    const row: E2eeBackupsTable = {
      user_id: auth.user.id,
      version: body.previous_version + 1,
      passphrase: body.passphrase && JSON.stringify(body.passphrase),
      ciphertext: body.ciphertext,
      updated_at: ctx.clock.now(),
    };
    if (body.previous_version === 0) {
      // The first backup: the primary key refuses a second "first".
      const inserted = await db
        .insertInto('e2ee_backups')
        .values(row)
        .onConflict((oc) => oc.column('user_id').doNothing())
        .executeTakeFirst();
      if (!inserted.numInsertedOrUpdatedRows) throw new ApiError('BACKUP_VERSION_STALE');
    } else {
      const updated = await db
        .updateTable('e2ee_backups')
        .set({ version: row.version, passphrase: row.passphrase, ciphertext: row.ciphertext, updated_at: row.updated_at })
        .where('user_id', '=', auth.user.id)
        .where('version', '=', body.previous_version)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw new ApiError('BACKUP_VERSION_STALE');
    }
    return toBackup(row);
  });

  route(e2eeApi.deleteBackup, async ({ auth }) => {
    await db.deleteFrom('e2ee_backups').where('user_id', '=', auth.user.id).execute();
  });
}
