import { Limits, RESERVED_USERNAMES, type Snowflake, Username } from '@parley/protocol';
import { AdminLimits, type ImportDelivery, ImportUserEntry, type ImportUsersResult } from '@parley/protocol/admin';
import type { Kysely } from 'kysely';
import type { AppContext } from '../../context';
import { uniqueViolationColumn } from '../../db/errors';
import type { Tables } from '../../db/tables';
import { recordInstanceAudit } from '../instance-audit/record';
import { toUsername } from '../sso/username';
import { CsvError, parseCsv } from './csv';
import { hashOneTimePassword, mapBounded, oneTimePassword } from './one-time-passwords';

/** One row of an import as it arrived (a CSV line or a JSON entry), not yet validated. */
export interface ImportRow {
  /** The CSV line (1-based, the header included) or the JSON entry's index + 1. */
  line: number;
  value: unknown;
}

type Skipped = ImportUsersResult['skipped'][number];
type Created = ImportUsersResult['created'][number];

/** What an import needs: the CLI runs it with no server around. */
export type ImportContext = Pick<AppContext, 'db' | 'ids' | 'clock'>;

/** Rows inserted per statement (9 columns each: well under both engines' parameter limits). */
const INSERT_CHUNK = 500;
/** Values per `IN (…)` lookup. */
const LOOKUP_CHUNK = 500;

const YES = new Set(['1', 'true', 'yes', 'y', 'x']);
const NO = new Set(['', '0', 'false', 'no', 'n']);

/**
 * The rows of a CSV import. Columns: `email` (required), `name` and `minor` (optional). A first
 * line naming the columns (`email,name,minor` in any order) is a header; without one the columns
 * are in that order. `minor` takes 1/0, true/false, yes/no or empty. Throws CsvError for a file
 * that is not CSV at all or has too many lines; a bad row is only that row's problem.
 */
export function rowsFromCsv(text: string): ImportRow[] {
  const tooMany = `more than ${AdminLimits.importMaxUsers} people in one import`;
  // One more line than people: the header.
  const records = parseCsv(text, AdminLimits.importMaxUsers + 1, tooMany);
  if (!records.length) return [];
  const first = records[0]!.fields.map((f) => f.trim().toLowerCase());
  let columns = { email: 0, name: 1, minor: 2 } as Record<'email' | 'name' | 'minor', number>;
  let data = records;
  if (first.includes('email') || first.includes('e-mail')) {
    const unknown = first.find((f) => !['email', 'e-mail', 'name', 'minor'].includes(f));
    if (unknown !== undefined) throw new CsvError(1, `unknown column "${unknown.slice(0, 40)}" in the header (use email, name, minor)`);
    columns = { email: Math.max(first.indexOf('email'), first.indexOf('e-mail')), name: first.indexOf('name'), minor: first.indexOf('minor') };
    data = records.slice(1);
  }
  if (data.length > AdminLimits.importMaxUsers) throw new CsvError(data[AdminLimits.importMaxUsers]!.line, tooMany);
  return data.map(({ line, fields }) => {
    const cell = (index: number) => (index >= 0 ? fields[index]?.trim() : undefined);
    const minor = cell(columns.minor)?.toLowerCase() ?? '';
    const name = cell(columns.name);
    return {
      line,
      value: {
        email: cell(columns.email) ?? '',
        ...(name ? { name } : {}),
        // Anything but a recognised yes/no is passed on as is, and refused for that row.
        minor: YES.has(minor) ? true : NO.has(minor) ? false : minor,
        ...(fields.length > 3 ? { extra: true } : {}),
      },
    };
  });
}

/** JSON entries as rows, numbered from 1. */
export const rowsFromJson = (entries: readonly unknown[]): ImportRow[] => entries.map((value, index) => ({ line: index + 1, value }));

/** Why one row cannot become an account, in words for the admin. */
function rowProblem(value: unknown): { email: string; reason: string } | { entry: { email: string; name?: string | undefined; minor: boolean } } {
  const email = typeof value === 'object' && value !== null && typeof (value as { email?: unknown }).email === 'string' ? (value as { email: string }).email.slice(0, Limits.emailMax) : '';
  if (typeof value === 'object' && value !== null && 'extra' in value) return { email, reason: 'Too many columns: use email, name, minor' };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { email, reason: 'Not an entry: give an object with an email' };
  const parsed = ImportUserEntry.safeParse(value);
  if (parsed.success) return { entry: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = String(issue.path[0] ?? 'entry');
  if (field === 'email') return { email, reason: email ? 'Not a valid e-mail address' : 'No e-mail address' };
  if (field === 'minor') return { email, reason: 'minor must be yes or no (1/0, true/false)' };
  return { email, reason: `${field}: ${issue.message}` };
}

async function inChunks<T, R>(values: readonly T[], lookup: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < values.length; i += LOOKUP_CHUNK) out.push(...(await lookup(values.slice(i, i + LOOKUP_CHUNK))));
  return out;
}

/** Usernames among `names` that are taken already. */
async function takenAmong(db: Kysely<Tables>, names: readonly string[]): Promise<Set<string>> {
  const rows = await inChunks([...new Set(names)], (chunk) => db.selectFrom('users').select('username').where('username', 'in', chunk).execute());
  return new Set(rows.map((r) => r.username));
}

const withSuffix = (base: string, suffix: string) => `${base.slice(0, Limits.usernameMax - suffix.length)}${suffix}`;

/**
 * A username for each address, from the part before the @ (accents dropped, other characters
 * removed), made unique against the database and each other by a number: ada, ada2, ada3…
 */
async function deriveUsernames(db: Kysely<Tables>, emails: readonly string[]): Promise<string[]> {
  const bases = emails.map((email) => {
    const name = toUsername(email.split('@')[0]!) ?? 'user';
    return RESERVED_USERNAMES.has(name) ? `${name}_` : name;
  });
  const taken = await takenAmong(db, bases);
  // Numbered candidates are looked up only for the bases that need them.
  const crowded = [...new Set(bases.filter((base, index) => taken.has(base) || bases.indexOf(base) !== index))];
  for (const name of await takenAmong(
    db,
    crowded.flatMap((base) => Array.from({ length: 49 }, (_, i) => withSuffix(base, String(i + 2)))),
  ))
    taken.add(name);
  const next = new Map<string, number>();
  return bases.map((base) => {
    let name = base;
    let n = next.get(base) ?? 1;
    while (taken.has(name) || !Username.safeParse(name).success) {
      n++;
      // Beyond what was looked up: a random tail, checked again by the UNIQUE constraint.
      name = withSuffix(base, n <= 50 ? String(n) : String(Math.floor(Math.random() * 1e9)));
    }
    next.set(base, n);
    taken.add(name);
    return name;
  });
}

/**
 * Creates the accounts of an import. Each row is checked on its own: an invalid address, one
 * that appears twice in the list, or one that already has an account is skipped with its reason
 * (so running the same list again creates nothing new). Every account must choose its own
 * password at first sign-in: with `download`, each gets a one-time password returned here once;
 * with `email`, none (the caller mails a link to choose one).
 */
export async function importAccounts(
  ctx: ImportContext,
  rows: readonly ImportRow[],
  options: { delivery: ImportDelivery; actorId: Snowflake | null; reason?: string | null },
): Promise<ImportUsersResult> {
  const skipped: Skipped[] = [];
  const firstLine = new Map<string, number>();
  const valid: { line: number; email: string; name?: string | undefined; minor: boolean }[] = [];
  for (const row of rows) {
    const checked = rowProblem(row.value);
    if (!('entry' in checked)) {
      skipped.push({ email: checked.email, line: row.line, reason: checked.reason });
      continue;
    }
    const earlier = firstLine.get(checked.entry.email);
    if (earlier !== undefined) {
      skipped.push({ email: checked.entry.email, line: row.line, reason: `Appears twice in this list (first on line ${earlier})` });
      continue;
    }
    firstLine.set(checked.entry.email, row.line);
    valid.push({ line: row.line, ...checked.entry });
  }

  const existing = new Set(
    (
      await inChunks(
        valid.map((v) => v.email),
        (chunk) => ctx.db.selectFrom('users').select('email').where('email', 'in', chunk).execute(),
      )
    ).map((r) => r.email),
  );
  const fresh = valid.filter((v) => {
    if (!existing.has(v.email)) return true;
    skipped.push({ email: v.email, line: v.line, reason: 'An account with this address already exists' });
    return false;
  });

  const usernames = await deriveUsernames(
    ctx.db,
    fresh.map((v) => v.email),
  );
  const passwords = options.delivery === 'download' ? fresh.map(() => oneTimePassword()) : null;
  const hashes = passwords ? await mapBounded(passwords, hashOneTimePassword) : null;
  const now = ctx.clock.now();
  const accounts = fresh.map((v, i) => ({
    row: {
      id: ctx.ids.next(),
      username: usernames[i]!,
      global_name: v.name ?? null,
      email: v.email,
      password_hash: hashes?.[i] ?? null,
      password_change_required: 1 as const,
      minor: v.minor ? (1 as const) : (0 as const),
      created_at: now,
    },
    line: v.line,
    password: passwords?.[i],
  }));

  const created: Created[] = [];
  for (let i = 0; i < accounts.length; i += INSERT_CHUNK) {
    const chunk = accounts.slice(i, i + INSERT_CHUNK);
    try {
      await ctx.db
        .insertInto('users')
        .values(chunk.map((a) => a.row))
        .execute();
      created.push(...chunk.map(toCreated));
    } catch (error) {
      if (uniqueViolationColumn(error) === null) throw error;
      // Someone took an address or a name meanwhile: one by one, so only those rows are skipped.
      for (const account of chunk) {
        try {
          await ctx.db.insertInto('users').values(account.row).execute();
          created.push(toCreated(account));
        } catch (rowError) {
          const column = uniqueViolationColumn(rowError);
          if (column === null) throw rowError;
          skipped.push({
            email: account.row.email,
            line: account.line,
            reason: column === 'email' ? 'An account with this address already exists' : 'Its username was taken meanwhile: import it again',
          });
        }
      }
    }
  }
  skipped.sort((a, b) => a.line - b.line);
  await recordInstanceAudit(ctx, ctx.db, {
    actorId: options.actorId,
    action: 'user_import',
    reason: options.reason ?? null,
    details: { created: created.length, skipped: skipped.length, delivery: options.delivery },
  });
  return { created, skipped, delivery: options.delivery };
}

function toCreated(account: { row: { id: Snowflake; username: string; email: string }; password?: string | undefined }): Created {
  return { id: account.row.id, username: account.row.username, email: account.row.email, ...(account.password ? { password: account.password } : {}) };
}
