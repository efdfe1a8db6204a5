import { GatewayCloseCode } from '@parley/protocol';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What an operator scrapes at /metrics (docs/deploy.md). One Metrics per app, with its own
 * registry, so tests that build several apps in one process never share or clash on counters.
 * Label values come from small fixed sets (statement kinds, route templates, error and close
 * codes): never a user, channel or guild ID, whose every value would be a new time series.
 *
 * A leaf: nothing here imports the rest of the server. The server calls the methods below from
 * where things happen, one line each (gateway, error handler, database listener, app.ts).
 */
export class Metrics {
  private readonly registry = new Registry();
  private readonly connections = this.gauge('parley_gateway_connections', 'Open gateway (WebSocket) connections on this node');
  private readonly identifies = this.counter('parley_gateway_identifies_total', 'Gateway sessions started (IDENTIFY answered with READY)');
  private readonly resumes = this.counter('parley_gateway_resumes_total', 'Gateway RESUME attempts: resumed, or invalid_session (the client identifies afresh)', ['outcome']);
  private readonly closes = this.counter('parley_gateway_closes_total', 'Gateway connections closed, by WebSocket close code (1006: closed without a handshake)', ['code']);
  private readonly published = this.counter('parley_events_published_total', 'Dispatch events this node published to the event log');
  private readonly delivered = this.counter(
    'parley_events_delivered_total',
    'Dispatch events written live to gateway sockets on this node, one per recipient connection (replays after a resume not counted)',
  );
  private readonly sendSeconds = this.histogram(
    'parley_message_send_seconds',
    'REST message send (POST /channels/:id/messages), request received to response sent, successful sends',
    [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  private readonly deliverySeconds = this.histogram(
    'parley_event_delivery_seconds',
    'Event published (on any node) to written to the recipients’ sockets on this node, live deliveries',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  );
  private readonly querySeconds = this.histogram(
    'parley_db_query_seconds',
    'Database statement duration, by dialect and statement kind',
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    ['dialect', 'statement'],
  );
  private readonly busLagSeconds = this.histogram(
    'parley_bus_lag_seconds',
    'Redis event log: appended by a node to read by this node (the publishing node included); across machines it includes their clock difference',
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  );
  private readonly calls = this.gauge('parley_calls', 'Calls going on (the instance’s, the same on every node)');
  private readonly participants = this.gauge('parley_call_participants', 'People in calls (the instance’s, the same on every node)');
  private readonly rateLimited = this.counter('parley_rate_limited_total', 'Requests refused by a rate limit, by bucket (the route template, or gateway_frames / gateway_member_requests) and kind', [
    'bucket',
    'kind',
  ]);
  private readonly apiErrors = this.counter('parley_api_errors_total', 'API errors answered, by error code and HTTP status (docs/errors.md)', ['code', 'status']);
  private countConnections: () => number = () => 0;
  private countCalls: (() => Promise<{ calls: number; participants: number }>) | null = null;

  /** Sets where the connection gauge reads from (the gateway, built after the metrics). */
  watchConnections(count: () => number): void {
    this.countConnections = count;
  }

  /** Sets how calls and participants are counted (asked at each scrape). */
  watchCalls(count: () => Promise<{ calls: number; participants: number }>): void {
    this.countCalls = count;
  }

  /** The text Prometheus scrapes, with its content type: this app's metrics and the process's. */
  async scrape(): Promise<{ contentType: string; text: string }> {
    this.connections.set(this.countConnections());
    if (this.countCalls) {
      // A database that does not answer leaves the last values; the scrape itself still works.
      const counted = await this.countCalls().catch(() => null);
      if (counted) {
        this.calls.set(counted.calls);
        this.participants.set(counted.participants);
      }
    }
    const merged = Registry.merge([processRegistry(), this.registry]);
    return { contentType: merged.contentType, text: await merged.metrics() };
  }

  identified(): void {
    this.identifies.inc();
  }

  resumed(outcome: 'resumed' | 'invalid_session'): void {
    this.resumes.inc({ outcome });
  }

  gatewayClosed(code: number): void {
    this.closes.inc({ code: KNOWN_CLOSE_CODES.has(code) ? String(code) : 'other' });
  }

  eventsPublished(count: number): void {
    this.published.inc(count);
  }

  /** One event written to `recipients` sockets; `publishedAt` (epoch ms) when the log carried it. */
  eventDelivered(recipients: number, publishedAt: number | undefined): void {
    if (recipients === 0) return;
    this.delivered.inc(recipients);
    // Once per event, not per socket: the fan-out writes all of them in the same turn.
    if (publishedAt !== undefined) this.deliverySeconds.observe(secondsSince(publishedAt));
  }

  /** A bus entry read from the shared log, appended at `appendedAt` (epoch ms, the appending node's clock). */
  busEntryReceived(appendedAt: number | undefined): void {
    if (appendedAt !== undefined) this.busLagSeconds.observe(secondsSince(appendedAt));
  }

  messageSent(milliseconds: number): void {
    this.sendSeconds.observe(milliseconds / 1000);
  }

  queryRan(dialect: string, sql: string, milliseconds: number): void {
    this.querySeconds.observe({ dialect, statement: statementKind(sql) }, milliseconds / 1000);
  }

  /**
   * An error answered over REST (`name` is ApiError's, "ApiError(RATE_LIMITED)"); a 429 also
   * counts as a rate-limit refusal, its bucket the route ("POST /api/v10/channels/:channel_id/messages").
   */
  errorAnswered(error: { code: number; status: number; name: string }, route: string): void {
    this.apiErrors.inc({ code: String(error.code), status: String(error.status) });
    if (error.status === 429) this.rateLimited.inc({ bucket: route, kind: /\((\w+)\)/.exec(error.name)?.[1] ?? 'RATE_LIMITED' });
  }

  /** A gateway request refused by one of the gateway's own limits (frames per minute, member requests). */
  gatewayRateLimited(bucket: 'gateway_frames' | 'gateway_member_requests'): void {
    this.rateLimited.inc({ bucket, kind: 'RATE_LIMITED' });
  }

  private counter(name: string, help: string, labelNames: string[] = []): Counter {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private gauge(name: string, help: string): Gauge {
    return new Gauge({ name, help, registers: [this.registry] });
  }

  private histogram(name: string, help: string, buckets: number[], labelNames: string[] = []): Histogram {
    return new Histogram({ name, help, buckets, labelNames, registers: [this.registry] });
  }
}

type StatementKind = 'select' | 'insert' | 'update' | 'delete' | 'other';
const KINDS = new Set(['select', 'insert', 'update', 'delete']);
const isKind = (word: string): word is Exclude<StatementKind, 'other'> => KINDS.has(word);

/**
 * select, insert, update or delete by the statement's first word; anything else (begin, commit,
 * DDL) is "other". A `with …` statement is what it does: the main statement if it writes, else
 * the first common table expression that writes (a send on PostgreSQL is one
 * `with w0 as (insert …), w1 as (update …) select 1`), else the main statement.
 */
export function statementKind(sql: string): StatementKind {
  const first = /^[\s(]*([a-z]+)/i.exec(sql)?.[1]?.toLowerCase() ?? '';
  if (isKind(first)) return first;
  if (first !== 'with') return 'other';
  let depth = 0;
  let previous = '';
  let bodyStarts = false;
  let firstWrite: StatementKind | null = null;
  for (const match of sql.matchAll(/[()]|'(?:[^']|'')*'|"(?:[^"]|"")*"|[a-z]+/gi)) {
    const token = match[0].toLowerCase();
    if (token === '(') {
      depth++;
      bodyStarts = depth === 1 && (previous === 'as' || previous === 'materialized');
    } else if (token === ')') {
      depth--;
    } else if (depth === 0 && isKind(token)) {
      return token !== 'select' ? token : (firstWrite ?? token);
    } else if (bodyStarts) {
      if (isKind(token) && token !== 'select') firstWrite ??= token;
      bodyStarts = false;
    }
    previous = token;
  }
  return firstWrite ?? 'other';
}

function secondsSince(epochMs: number): number {
  // Another node's clock may run ahead of ours: a negative lag is measured as none.
  return Math.max(0, Date.now() - epochMs) / 1000;
}

/** Close codes named as themselves; any other (a client may send any 3000–4999) is "other". */
const KNOWN_CLOSE_CODES = new Set<number>([1000, 1001, 1005, 1006, 1011, ...Object.values(GatewayCloseCode)]);

let sharedProcessRegistry: Registry | null = null;

/**
 * CPU, memory, event loop lag, GC, handles: the process's, not one app's. Registered once per
 * process (each registration starts its own event-loop monitor) and merged into every scrape.
 */
function processRegistry(): Registry {
  if (!sharedProcessRegistry) {
    sharedProcessRegistry = new Registry();
    collectDefaultMetrics({ register: sharedProcessRegistry });
  }
  return sharedProcessRegistry;
}
