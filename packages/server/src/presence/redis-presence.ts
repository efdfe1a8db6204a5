import { randomBytes } from 'node:crypto';
import type { PresenceStatus, Snowflake, VisibleStatus } from '@parley/protocol';
import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import { type PresenceStore, type StatusChange, visibleStatus } from './presence-store';

/*
 * Keys (under the prefix): presence:status:<user> is the user's chosen status and exists exactly
 * while presence:sessions:<user> (session → node) has a field; presence:node:<node> lists the
 * node's sessions as "<user>:<session>"; presence:alive:<node> expires unless the node keeps
 * refreshing it; presence:nodes lists nodes that may hold sessions. Each change is one script,
 * so concurrent nodes never see a half-made change.
 */

/**
 * KEYS: status, sessions, node sessions, nodes. ARGV: status, session, node, member, only-if-offline
 * flag. Returns {before, after}. Lists the node too: one swept while it only stalled must stay
 * sweepable should it die before its next refresh.
 */
const CONNECT = `
local before = redis.call('GET', KEYS[1])
if ARGV[5] == '0' or not before then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('SADD', KEYS[4], ARGV[3])
return {before, redis.call('GET', KEYS[1])}
`;

/** KEYS: status. ARGV: status. Returns the status before (nothing changes for a user who is offline). */
const SET_STATUS = `
local before = redis.call('GET', KEYS[1])
if before then redis.call('SET', KEYS[1], ARGV[1]) end
return before
`;

/** KEYS: status, sessions, node sessions. ARGV: session, member. Returns {before, after}. */
const DISCONNECT = `
local before = redis.call('GET', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[2])
if redis.call('HLEN', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1])
  return {before, false}
end
return {before, before}
`;

/**
 * Removes the sessions of a dead node, unless it came back meanwhile. KEYS: node sessions,
 * nodes, node alive. ARGV: node, status key prefix, sessions key prefix. Returns user, status
 * before, user, status before, … for each user who went offline.
 */
const SWEEP = `
if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
local changes = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local sep = string.find(member, ':', 1, true)
  local user = string.sub(member, 1, sep - 1)
  local sessions = ARGV[3] .. user
  if redis.call('HGET', sessions, string.sub(member, sep + 1)) == ARGV[1] then
    redis.call('HDEL', sessions, string.sub(member, sep + 1))
    if redis.call('HLEN', sessions) == 0 then
      local before = redis.call('GET', ARGV[2] .. user)
      redis.call('DEL', ARGV[2] .. user)
      if before then
        table.insert(changes, user)
        table.insert(changes, before)
      end
    end
  end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return changes
`;

/** KEYS: node alive, nodes. ARGV: ttl ms, node. Returns the alive key's previous value (nil: we were presumed dead). */
const HEARTBEAT = `
local was = redis.call('SET', KEYS[1], '1', 'PX', ARGV[1], 'GET')
redis.call('SADD', KEYS[2], ARGV[2])
return was
`;

type Scripts = Redis &
  Record<'parleyPresenceConnect' | 'parleyPresenceSetStatus' | 'parleyPresenceDisconnect' | 'parleyPresenceSweep' | 'parleyPresenceHeartbeat', (...args: string[]) => Promise<unknown>>;

export interface RedisPresenceOptions {
  /** Key prefix (REDIS_PREFIX). */
  prefix: string;
  /** A node that has not refreshed its liveness for this long is presumed dead and swept. */
  nodeTimeoutMs: number;
  logger: Pick<FastifyBaseLogger, 'warn' | 'error'>;
}

/**
 * Presence shared by every node, in Redis, with the memory store's semantics: a user is online
 * while any of their sessions (on any node) is, with the status they chose last.
 *
 * A node that dies without saying goodbye (kill -9, lost host) leaves its sessions behind. Each
 * node refreshes a liveness key several times per timeout and sweeps the sessions of nodes whose
 * key expired; the users that leaves offline are reported through onBackgroundChange, so they
 * are announced like any other change. A node that finds it was presumed dead (it stalled, or
 * Redis lost its data) registers its sessions again.
 */
export class RedisPresenceStore implements PresenceStore {
  /** Random per process: a restarted node is a new node, and its predecessor gets swept. */
  readonly nodeId = randomBytes(8).toString('hex');
  /** This node's sessions (session → user), and per user the status it last set: what a restore needs. */
  private readonly localSessions = new Map<string, Snowflake>();
  private readonly localUsers = new Map<Snowflake, { status: PresenceStatus; sessions: number }>();
  private readonly handlers: ((userId: Snowflake, change: StatusChange) => void)[] = [];
  private readonly redis: Scripts;
  private readonly timer: NodeJS.Timeout;
  /** The refresh under way, if any (a slow one is never overlapped by the next). */
  private refreshing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    redis: Redis,
    private readonly options: RedisPresenceOptions,
  ) {
    redis.defineCommand('parleyPresenceConnect', { numberOfKeys: 4, lua: CONNECT });
    redis.defineCommand('parleyPresenceSetStatus', { numberOfKeys: 1, lua: SET_STATUS });
    redis.defineCommand('parleyPresenceDisconnect', { numberOfKeys: 3, lua: DISCONNECT });
    redis.defineCommand('parleyPresenceSweep', { numberOfKeys: 3, lua: SWEEP });
    redis.defineCommand('parleyPresenceHeartbeat', { numberOfKeys: 2, lua: HEARTBEAT });
    this.redis = redis as Scripts;
    this.timer = setInterval(
      () => {
        this.refreshing ??= this.refresh().finally(() => (this.refreshing = null));
      },
      Math.max(100, Math.floor(options.nodeTimeoutMs / 3)),
    ).unref();
  }

  /** Registers this node as alive; sweeping starts one refresh interval later, once listeners are in place. */
  static async open(redis: Redis, options: RedisPresenceOptions): Promise<RedisPresenceStore> {
    const store = new RedisPresenceStore(redis, options);
    await store.heartbeat();
    return store;
  }

  async connect(userId: Snowflake, sessionId: string, status: PresenceStatus): Promise<StatusChange> {
    if (!this.localSessions.has(sessionId)) {
      this.localSessions.set(sessionId, userId);
      const user = this.localUsers.get(userId);
      if (user) user.sessions++;
      else this.localUsers.set(userId, { status, sessions: 1 });
    }
    this.localUsers.get(userId)!.status = status;
    return this.register(userId, sessionId, status, false);
  }

  async setStatus(userId: Snowflake, status: PresenceStatus): Promise<StatusChange> {
    const user = this.localUsers.get(userId);
    if (user) user.status = status;
    const before = (await this.redis.parleyPresenceSetStatus(this.key('status', userId), status)) as PresenceStatus | null;
    return { before: visibleStatus(before), after: visibleStatus(before === null ? null : status) };
  }

  async disconnect(userId: Snowflake, sessionId: string): Promise<StatusChange> {
    if (this.localSessions.delete(sessionId)) {
      const user = this.localUsers.get(userId)!;
      if (--user.sessions === 0) this.localUsers.delete(userId);
    }
    // After close, the node's remaining sessions are left for the other nodes to sweep.
    if (this.closed) return { before: 'offline', after: 'offline' };
    const [before, after] = (await this.redis.parleyPresenceDisconnect(
      this.key('status', userId),
      this.key('sessions', userId),
      this.key('node', this.nodeId),
      sessionId,
      `${userId}:${sessionId}`,
    )) as [PresenceStatus | null, PresenceStatus | null];
    return { before: visibleStatus(before), after: visibleStatus(after) };
  }

  async visible(userIds: readonly Snowflake[]): Promise<Map<Snowflake, VisibleStatus>> {
    const result = new Map<Snowflake, VisibleStatus>();
    for (let i = 0; i < userIds.length; i += 1000) {
      const chunk = userIds.slice(i, i + 1000);
      const statuses = (await this.redis.mget(chunk.map((id) => this.key('status', id)))) as (PresenceStatus | null)[];
      chunk.forEach((id, j) => {
        const status = visibleStatus(statuses[j] ?? null);
        if (status !== 'offline') result.set(id, status);
      });
    }
    return result;
  }

  async chosen(userId: Snowflake): Promise<PresenceStatus | null> {
    return (await this.redis.get(this.key('status', userId))) as PresenceStatus | null;
  }

  onBackgroundChange(handler: (userId: Snowflake, change: StatusChange) => void): void {
    this.handlers.push(handler);
  }

  /**
   * Stops refreshing and drops the liveness key, so the other nodes sweep whatever sessions this
   * node still holds (announcing those users offline) at their next refresh, not a timeout later.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.refreshing;
    await this.redis.del(this.key('alive', this.nodeId)).catch(() => undefined);
  }

  private async register(userId: Snowflake, sessionId: string, status: PresenceStatus, onlyIfOffline: boolean): Promise<StatusChange> {
    const [before, after] = (await this.redis.parleyPresenceConnect(
      this.key('status', userId),
      this.key('sessions', userId),
      this.key('node', this.nodeId),
      this.key('nodes'),
      status,
      sessionId,
      this.nodeId,
      `${userId}:${sessionId}`,
      onlyIfOffline ? '1' : '0',
    )) as [PresenceStatus | null, PresenceStatus | null];
    return { before: visibleStatus(before), after: visibleStatus(after) };
  }

  /** One refresh: say this node is alive (restoring its sessions if it was presumed dead), then sweep dead nodes. */
  private async refresh(): Promise<void> {
    if (this.closed) return;
    try {
      await this.heartbeat();
      await this.sweep();
    } catch (error) {
      this.options.logger.warn({ err: error }, 'presence: refresh failed');
    }
  }

  private async heartbeat(): Promise<void> {
    const was = await this.redis.parleyPresenceHeartbeat(this.key('alive', this.nodeId), this.key('nodes'), String(this.options.nodeTimeoutMs), this.nodeId);
    if (was !== null || this.localSessions.size === 0) return;
    this.options.logger.warn('presence: this node was presumed dead; registering its sessions again');
    for (const [sessionId, userId] of this.localSessions) {
      const change = await this.register(userId, sessionId, this.localUsers.get(userId)?.status ?? 'online', true);
      if (change.before !== change.after) this.report(userId, change);
    }
  }

  private async sweep(): Promise<void> {
    for (const node of await this.redis.smembers(this.key('nodes'))) {
      if (node === this.nodeId || this.closed) continue;
      const changes = (await this.redis.parleyPresenceSweep(this.key('node', node), this.key('nodes'), this.key('alive', node), node, this.key('status', ''), this.key('sessions', ''))) as string[];
      for (let i = 0; i + 1 < changes.length; i += 2) {
        const before = visibleStatus(changes[i + 1] as PresenceStatus);
        if (before !== 'offline') this.report(changes[i] as Snowflake, { before, after: 'offline' });
      }
    }
  }

  private report(userId: Snowflake, change: StatusChange): void {
    for (const handler of this.handlers) handler(userId, change);
  }

  private key(kind: 'status' | 'sessions' | 'node' | 'alive' | 'nodes', id?: string): string {
    return `${this.options.prefix}presence:${kind}${id === undefined ? '' : `:${id}`}`;
  }
}
