import { randomBytes } from 'node:crypto';
import { InstanceSettings, Username } from '@parley/protocol';
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

Uses the same DATA_DIR / DATABASE_URL as the server.`;

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
