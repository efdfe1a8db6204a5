import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { InstanceSettings, Username } from '@parley/protocol';
import { AdminLimits } from '@parley/protocol/admin';
import { CsvError, csvField } from '../features/admin/csv';
import { importAccounts, rowsFromCsv } from '../features/admin/import';
import type { Clock } from '../core/clock';
import { SnowflakeGenerator } from '../core/snowflake';
import type { Database } from '../db/database';
import { hashPassword } from '../features/auth/passwords';
import { RegistrationInvites } from '../features/instance/invites';
import { InstanceSettingsStore } from '../features/instance/settings';
import { findUserByLogin } from '../features/users/queries';

export const USAGE = `Usage: npm run parley -- <command>

  admin create <username>          Create an instance admin; prints a one-time password
  admin reset-password <username>  Give a user a new one-time password (signs them out everywhere)
  settings show                    Print the instance settings
  settings set <key> <value>       Change one: registration_mode (open|invite|closed),
                                   guests_enabled (true|false), require_email (true|false), name
  invite create [uses] [days]      Create a registration invite (default: 1 use, 7 days; 0 = unlimited)
  users import <file.csv>          Create accounts from a CSV (email[,name[,minor]]); prints each
                                   one-time password once, as CSV (username,email,password)
  tls self-signed --host <name or IP> [--host …] [--out DIR] [--days N] [--force]
                                   Create a self-signed certificate and key for HTTPS on a LAN
                                   (default: DATA_DIR/tls, 365 days); prints its SHA-256
                                   fingerprint and the TLS_CERT / TLS_KEY lines to set

Uses the same DATA_DIR / DATABASE_URL as the server (tls needs no database).`;

/** Thrown for a mistake in the command line: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/**
 * Operator commands that work directly on the database, for what the API cannot do yet
 * (there is no admin before the first admin exists). Returns the lines to print.
 */
export async function runCommand(argv: readonly string[], database: Database, clock: Clock): Promise<string[]> {
  const [group, action, ...args] = argv;
  const db = database.db;
  switch (`${group} ${action}`) {
    case 'admin create': {
      const username = parseUsername(args[0]);
      if (await findUserByLogin(db, username)) throw new UsageError(`User "${username}" already exists.`);
      const password = oneTimePassword();
      await db
        .insertInto('users')
        .values({
          id: new SnowflakeGenerator(clock, null).next(),
          username,
          password_hash: await hashPassword(password),
          admin: 1,
          password_change_required: 1,
          created_at: clock.now(),
        })
        .execute();
      return [`Created admin "${username}".`, `One-time password: ${password}`, 'They must choose a new password when they first sign in.'];
    }
    case 'admin reset-password': {
      const username = parseUsername(args[0]);
      const user = await findUserByLogin(db, username);
      if (!user) throw new UsageError(`No user "${username}".`);
      const password = oneTimePassword();
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('users')
          .set({ password_hash: await hashPassword(password), password_change_required: 1 })
          .where('id', '=', user.id)
          .execute();
        await trx.deleteFrom('sessions').where('user_id', '=', user.id).execute();
      });
      return [`New one-time password for "${username}": ${password}`];
    }
    case 'settings show':
      return [JSON.stringify(await new InstanceSettingsStore(db).get(), null, 2)];
    case 'settings set': {
      const [key, raw] = args;
      if (!key || raw === undefined || !(key in InstanceSettings.shape)) throw new UsageError('settings set needs a known key and a value.');
      const value = raw === 'true' ? true : raw === 'false' ? false : raw;
      const parsed = InstanceSettings.partial().safeParse({ [key]: value });
      if (!parsed.success) throw new UsageError(`${key}: ${parsed.error.issues[0]?.message}`);
      return [JSON.stringify(await new InstanceSettingsStore(db).update(parsed.data), null, 2)];
    }
    case 'invite create': {
      const uses = parseCount(args[0] ?? '1', 'uses');
      const days = parseCount(args[1] ?? '7', 'days');
      const invite = await new RegistrationInvites(db, clock).create({ maxUses: uses, maxAgeSeconds: days * 86_400, createdBy: null });
      return [`Invite code: ${invite.code}`, `Uses: ${uses || 'unlimited'}; expires: ${invite.expires_at ?? 'never'}`];
    }
    case 'users import': {
      const file = args[0];
      if (!file) throw new UsageError('users import needs a CSV file.');
      const size = await stat(file).then(
        (s) => s.size,
        () => null,
      );
      if (size === null) throw new UsageError(`Cannot read "${file}".`);
      if (size > AdminLimits.importMaxCsvBytes)
        throw new UsageError(`${file} is larger than ${AdminLimits.importMaxCsvBytes / 1024 / 1024} MiB: split it (at most ${AdminLimits.importMaxUsers} people per import).`);
      let rows;
      try {
        rows = rowsFromCsv(await readFile(file, 'utf8'));
      } catch (error) {
        if (error instanceof CsvError) throw new UsageError(`Malformed CSV: ${error.message}`);
        throw error;
      }
      const result = await importAccounts({ db, clock, ids: new SnowflakeGenerator(clock, null) }, rows, { delivery: 'download', actorId: null, reason: 'CLI import' });
      return [
        `Created ${result.created.length} account(s); skipped ${result.skipped.length}.`,
        ...result.skipped.map((s) => `  line ${s.line}: ${s.email || '(no address)'}: ${s.reason}`),
        ...(result.created.length ? ['', 'username,email,password', ...result.created.map((c) => [c.username, c.email, c.password ?? ''].map(csvField).join(','))] : []),
      ];
    }
    default:
      throw new UsageError(group ? `Unknown command "${argv.join(' ')}".` : 'No command given.');
  }
}

function parseUsername(raw: string | undefined): string {
  const parsed = Username.safeParse(raw);
  if (!parsed.success) throw new UsageError(`Invalid username: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

function parseCount(raw: string, name: string): number {
  if (!/^\d{1,6}$/.test(raw)) throw new UsageError(`${name} must be a whole number.`);
  return Number(raw);
}

/** 16 characters from a URL-safe alphabet: ~96 bits, typed once then replaced. */
function oneTimePassword(): string {
  return randomBytes(12).toString('base64url');
}
