import type { Session, Snowflake } from '@parley/protocol';
import { type Kysely, sql } from 'kysely';
import type { CacheBus } from '../../cache/bus';
import type { Caches, ReadCache } from '../../cache/caches';
import type { Clock } from '../../core/clock';
import type { SnowflakeGenerator } from '../../core/snowflake';
import { hashToken, newToken } from '../../core/tokens';
import type { SessionRow, Tables, UserRow } from '../../db/tables';
import { BatchedRead } from '../../db/batched-read';
import { UNCACHED_COLUMNS_ONLY } from '../../db/write-observer';
import type { EventPublisher } from '../../events/publisher';
import { ApiError } from '../../http/errors';
import type { Auth, PersonAuth } from '../../http/routes';

/** How stale last_used_at may get before a request refreshes it (saves a write per request). */
const TOUCH_INTERVAL_MS = 60_000;

/** A sign-in session's row joined with its user's. */
type SessionWithUser = UserRow & { session_id: Snowflake; token_hash: string; client: string; ip: string | null; session_created_at: number; last_used_at: number };

/** Sign-in sessions: one per device or browser, each with its own revocable token. */
export class Sessions {
  /**
   * Who a token is, by its hash, kept per node (cache/): emptied on every node when a session or
   * user row is written (a sign-out, a revoked session, a disabled account), so a revoked token
   * fails on every node for every request that starts after the revocation answered.
   */
  private readonly people: ReadCache<string, PersonAuth>;
  private readonly bots: ReadCache<string, UserRow>;
  /** Sign-in sessions with their users, by token hash. */
  private readonly sessionsByHash: BatchedRead<string, SessionWithUser | undefined>;

  constructor(
    private readonly db: Kysely<Tables>,
    private readonly clock: Clock,
    private readonly ids: SnowflakeGenerator,
    private readonly events: EventPublisher,
    /** A session unused this long is signed out (SESSION_IDLE_DAYS). */
    private readonly idleMs: number,
    private readonly caches: Caches,
    private readonly cacheBus: CacheBus,
  ) {
    this.people = caches.create(['sessions', 'users'], { max: 20_000 });
    // A reconnect storm (a node restarted) asks for thousands at once: they share statements.
    this.sessionsByHash = new BatchedRead(
      async (hashes) => {
        const rows = await db
          .selectFrom('sessions')
          .innerJoin('users', 'users.id', 'sessions.user_id')
          .selectAll('users')
          .select(['sessions.id as session_id', 'sessions.token_hash', 'sessions.client', 'sessions.ip', 'sessions.created_at as session_created_at', 'sessions.last_used_at'])
          .where('sessions.token_hash', 'in', hashes)
          .execute();
        return new Map(rows.map((row) => [row.token_hash, row]));
      },
      () => undefined,
    );
    this.bots = caches.create(['applications', 'users'], { max: 2_000 });
  }

  /** Starts a session and returns its token: the only time the token exists outside the client. */
  async create(db: Kysely<Tables>, userId: Snowflake, client: { description: string; ip: string | null }): Promise<string> {
    // Every way in (password, second factor, passkey, single sign-on) ends here, so this one check refuses them all.
    const user = await db.selectFrom('users').select('disabled_at').where('id', '=', userId).executeTakeFirst();
    if (user?.disabled_at != null) throw new ApiError('ACCOUNT_DISABLED');
    const token = newToken();
    const now = this.clock.now();
    await db
      .insertInto('sessions')
      .values({
        id: this.ids.next(),
        user_id: userId,
        token_hash: hashToken(token),
        client: client.description,
        ip: client.ip,
        created_at: now,
        last_used_at: now,
      })
      .execute();
    await recordActivity(db, userId, now);
    return token;
  }

  /**
   * Gives a session a new token (the old one stops working at once) and returns it, as Discord
   * does when 2FA is turned on or off. The session itself, and its gateway connections, stay.
   */
  async rotate(db: Kysely<Tables>, sessionId: Snowflake): Promise<string> {
    const token = newToken();
    await db
      .updateTable('sessions')
      .set({ token_hash: hashToken(token) })
      .where('id', '=', sessionId)
      .execute();
    return token;
  }

  /**
   * The caller behind an Authorization header: `<token>` for people's sessions, `Bot <token>`
   * for bots. Bearer tokens (OAuth2) are not issued yet, so they are refused like bad ones.
   */
  authenticate = async (authorization: string | undefined): Promise<Auth> => {
    const header = authorization?.trim() ?? '';
    // Real tokens are at most ~70 characters; anything far longer is not worth hashing.
    if (!header || header.length > 128 || /^bearer\s/i.test(header)) throw new ApiError('UNAUTHORIZED');
    const bot = /^bot\s+(\S+)$/i.exec(header);
    // Whatever this request reads from a cache is then as new as any change acknowledged before it.
    await this.cacheBus.current();
    return bot ? this.authenticateBot(bot[1]!) : this.authenticatePerson(header);
  };

  /**
   * The token of a gateway IDENTIFY / RESUME, which comes without the HTTP scheme word: bot
   * tokens are told apart by their dot (people's tokens are base64url, which has none).
   */
  authenticateToken = async (token: string): Promise<Auth> => this.authenticate(/^bot\s/i.test(token) || !token.includes('.') ? token : `Bot ${token}`);

  private async authenticateBot(token: string): Promise<Auth> {
    const hash = hashToken(token);
    const user = await this.bots.load(hash, async () =>
      Object.freeze(
        await this.db.selectFrom('applications').innerJoin('users', 'users.id', 'applications.bot_user_id').selectAll('users').where('applications.bot_token_hash', '=', hash).executeTakeFirst(),
      ),
    );
    if (!user || user.disabled_at != null) throw new ApiError('UNAUTHORIZED');
    return { user, session: null };
  }

  private async authenticatePerson(token: string): Promise<Auth> {
    if (/\s/.test(token)) throw new ApiError('UNAUTHORIZED');
    const hash = hashToken(token);
    const now = this.clock.now();
    // Used within the touch interval: neither idle nor due a touch, so nothing to read or write.
    const held = this.people.get(hash);
    if (held && now - held.session.last_used_at <= TOUCH_INTERVAL_MS) return held;
    const generation = this.caches.generation;
    const row = await this.sessionsByHash.load(hash);
    if (!row) throw new ApiError('UNAUTHORIZED');
    const { session_id, token_hash, client, ip, session_created_at, last_used_at, ...user } = row;
    const session: SessionRow = { id: session_id, user_id: user.id, token_hash, client, ip, created_at: session_created_at, last_used_at };
    if (now - last_used_at > this.idleMs) {
      await this.db.deleteFrom('sessions').where('id', '=', session.id).execute();
      throw new ApiError('UNAUTHORIZED');
    }
    if (now - last_used_at > TOUCH_INTERVAL_MS) {
      // Other nodes' copies keep an older last_used_at: they come back here once it is a minute old.
      await this.db.updateTable('sessions').set({ last_used_at: now }).where('id', '=', session.id).modifyEnd(sql.raw(UNCACHED_COLUMNS_ONLY)).execute();
      await recordActivity(this.db, user.id, now);
      session.last_used_at = now;
    }
    const auth: PersonAuth = { user: Object.freeze(user as UserRow), session: Object.freeze(session) };
    this.people.keep(hash, Object.freeze(auth), generation);
    return auth;
  }

  async list(userId: Snowflake, currentSessionId: Snowflake): Promise<Session[]> {
    const rows = await this.db.selectFrom('sessions').selectAll().where('user_id', '=', userId).orderBy('last_used_at', 'desc').execute();
    return rows.map((row) => ({
      id: row.id,
      current: row.id === currentSessionId,
      client: row.client,
      ip: row.ip,
      created_at: new Date(row.created_at).toISOString(),
      last_used_at: new Date(row.last_used_at).toISOString(),
    }));
  }

  /** Signs out one session of this user; another user's session ID is "unknown", not "forbidden". */
  async revoke(userId: Snowflake, sessionId: Snowflake): Promise<void> {
    const result = await this.db.deleteFrom('sessions').where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new ApiError('UNKNOWN_SESSION');
    await this.events.closeConnections({ signIns: [sessionId] }, 'Signed out');
  }

  /**
   * Signs out everywhere but here (after a password change), inside the caller's transaction:
   * once it commits, pass what this returns to `closeConnections`.
   */
  async revokeOthers(db: Kysely<Tables>, userId: Snowflake, keepSessionId: Snowflake): Promise<Snowflake[]> {
    const revoked = await db.deleteFrom('sessions').where('user_id', '=', userId).where('id', '!=', keepSessionId).returning('id').execute();
    return revoked.map((r) => r.id);
  }

  /** Signs out every session of this user, inside the caller's transaction: once it commits, pass what this returns to `closeConnections`. */
  async revokeAll(db: Kysely<Tables>, userId: Snowflake): Promise<Snowflake[]> {
    const revoked = await db.deleteFrom('sessions').where('user_id', '=', userId).returning('id').execute();
    return revoked.map((r) => r.id);
  }

  /** Signs out the sessions unused for longer than the idle limit (they would be refused anyway); returns how many. */
  async expireIdle(): Promise<number> {
    const expired = await this.db
      .deleteFrom('sessions')
      .where('last_used_at', '<', this.clock.now() - this.idleMs)
      .returning('id')
      .execute();
    await this.closeConnections(
      expired.map((r) => r.id),
      'Session expired',
    );
    return expired.length;
  }

  /** Closes the gateway connections of sign-in sessions that were revoked, on every node. */
  async closeConnections(sessionIds: Snowflake[], reason: string): Promise<void> {
    await this.events.closeConnections({ signIns: sessionIds }, reason);
  }
}

/**
 * Notes that the account used Parley on this UTC day (the instance statistics' "active"),
 * at most once a minute per session: on sign-in and whenever last_used_at is refreshed.
 */
async function recordActivity(db: Kysely<Tables>, userId: Snowflake, now: number): Promise<void> {
  await db
    .insertInto('user_activity')
    .values({ user_id: userId, day: Math.floor(now / 86_400_000) })
    .onConflict((oc) => oc.columns(['user_id', 'day']).doNothing())
    .execute();
}
