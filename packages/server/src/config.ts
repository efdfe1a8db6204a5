import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProviderId } from '@parley/protocol';
import { z } from 'zod';
import { parseAllowList } from './features/link-previews/guard';
import { parseS3Url } from './files/s3-url';

/** `points/seconds`, e.g. "20/60": 20 attempts per minute. */
const rate = z
  .string()
  .regex(/^[1-9]\d*\/[1-9]\d*$/, 'Must look like "20/60" (attempts per seconds, both at least 1)')
  .transform((v) => {
    const [points, seconds] = v.split('/').map(Number) as [number, number];
    return { points, seconds };
  });

/** A comma-separated list of ICE server URLs with one of `schemes` (spaces and empty items ignored). */
function iceUrls(schemes: string[]) {
  const url = new RegExp(`^(${schemes.join('|')}):[^\\s,]+$`);
  return z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(url, `Each URL must start with ${schemes.map((s) => `${s}:`).join(' or ')}`)).max(16))
    .default([]);
}

const DAY_MS = 24 * 3600_000;

/** Where data lives unless DATA_DIR says otherwise (the CLI's `tls self-signed` writes under it too). */
export const DEFAULT_DATA_DIR = './data';

/** Loopback issuers may use plain HTTP (a provider on the same machine, tests); all others need HTTPS. */
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/;

const OidcProvider = z.object({
  id: ProviderId,
  /** Shown on the button: "Continue with <name>". */
  name: z.string().trim().min(1).max(64),
  /** The issuer identifier; discovery reads `<issuer>/.well-known/openid-configuration`. */
  issuer: z.url().refine((v) => {
    const url = new URL(v);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.test(url.hostname));
  }, 'Must be an https:// URL (http:// only for localhost)'),
  client_id: z.string().min(1).max(512),
  client_secret: z.string().min(1).max(2048),
});
export type OidcProviderConfig = z.infer<typeof OidcProvider>;

/** `OIDC_PROVIDERS`: a JSON array of providers, IDs unique. */
const oidcProviders = z
  .string()
  .transform((v, ctx) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'Must be a JSON array of {id, name, issuer, client_id, client_secret}' });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(OidcProvider, 'Must be a JSON array of {id, name, issuer, client_id, client_secret}')
      .max(20)
      .refine((list) => new Set(list.map((p) => p.id)).size === list.length, 'Each provider needs its own id'),
  )
  .default([]);

/** Every setting Parley reads from the environment, with its default. Documented in the README. */
const EnvSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().min(1).default('0.0.0.0'),
    DATA_DIR: z.string().min(1).default(DEFAULT_DATA_DIR),
    /** s3://KEY:SECRET@host[:port]/bucket[/prefix]?region=…: files in that bucket instead of DATA_DIR/files (files/s3-url.ts). */
    FILES_S3_URL: z
      .string()
      .transform((v, ctx) => {
        try {
          return parseS3Url(v);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      })
      .optional(),
    /** PEM certificate (chain) file: with TLS_KEY, PORT serves HTTPS and WSS itself, no proxy needed. */
    TLS_CERT: z.string().min(1).optional(),
    /** PEM private key file of TLS_CERT. */
    TLS_KEY: z.string().min(1).optional(),
    /** With TLS: a plain-HTTP port whose every request is redirected (308) to https on PORT. */
    HTTP_REDIRECT_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    /** postgres://… to use PostgreSQL; unset for the embedded SQLite database under DATA_DIR. */
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'Must be a postgres:// URL')
      .optional(),
    /** PostgreSQL schema to use (default: the server's search_path, usually "public"). */
    DATABASE_SCHEMA: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/)
      .optional(),
    /**
     * PostgreSQL: "false" sends every statement unnamed (planned each time). Named statements are
     * prepared once per connection, which a pooler in transaction mode (PgBouncer before 1.21, or
     * without max_prepared_statements) cannot follow.
     */
    DATABASE_PREPARED_STATEMENTS: z.enum(['true', 'false'], 'Must be true or false').default('true'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * Behind a reverse proxy, which X-Forwarded-For hops to believe for the client IP (rate limits,
     * sessions): a number of proxy hops, or the proxies' addresses/CIDRs, comma-separated.
     * "true" means one hop. Believing every hop would let clients forge their IP.
     */
    TRUST_PROXY: z
      .string()
      .regex(/^(false|true|\d{1,2}|[0-9a-fA-F.:/]+(,\s*[0-9a-fA-F.:/]+)*)$/, 'Must be false, a hop count, or proxy addresses/CIDRs')
      .transform((v): boolean | number | string => (v === 'false' ? false : v === 'true' ? 1 : /^\d+$/.test(v) ? Number(v) : v))
      .default(false),
    /** 0–1023, unique per node when several nodes share a database; random when unset. */
    WORKER_ID: z.coerce.number().int().min(0).max(1023).optional(),
    /** Sign-in attempts per client IP (login, register, guest, upgrade). */
    AUTH_RATE_LIMIT_IP: rate.default({ points: 30, seconds: 60 }),
    /**
     * Failed passwords per account: per known source (somewhere the account signed in from
     * before), and once more for all unfamiliar sources together (features/auth/rate-limit.ts).
     */
    AUTH_RATE_LIMIT_ACCOUNT: rate.default({ points: 10, seconds: 900 }),
    /** Built web client to serve at /; empty to serve the API only. */
    WEB_DIR: z.string().optional(),
    /** redis://… to share events, presence, sessions and rate limits between several nodes. */
    REDIS_URL: z
      .string()
      .regex(/^rediss?:\/\//, 'Must be a redis:// URL')
      .optional(),
    /** Prefix of every Redis key Parley uses, so several deployments (or test runs) can share one Redis. */
    REDIS_PREFIX: z
      .string()
      .regex(/^\S{0,64}$/, 'At most 64 characters, no spaces')
      .default('parley:'),
    /** With Redis: a node silent this long is presumed dead, and its sessions leave presence. */
    NODE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(600).default(15),
    /** The address clients use to reach this server (https://chat.example.org), when behind a proxy. */
    PUBLIC_URL: z.url().optional(),
    /** How often gateway clients must send a heartbeat. */
    GATEWAY_HEARTBEAT_MS: z.coerce.number().int().min(1000).max(600_000).default(41_250),
    /** How long a dropped gateway session can resume and have missed events replayed. */
    RESUME_WINDOW_SECONDS: z.coerce.number().int().min(10).max(3600).default(300),
    /** At most this many events are kept for replay, whatever their age. */
    EVENT_LOG_MAX_ENTRIES: z.coerce.number().int().min(100).max(10_000_000).default(200_000),
    /** A gateway client this far behind (bytes queued) is disconnected; it can resume. */
    GATEWAY_MAX_BUFFERED_BYTES: z.coerce
      .number()
      .int()
      .min(64 * 1024)
      .default(4 * 1024 * 1024),
    /** Messages per user per channel: `messages/seconds`. */
    MESSAGE_RATE_LIMIT: rate.default({ points: 5, seconds: 5 }),
    /** Most people in one call (with an SFU; without one, calls stop at CALL_MESH_MAX). */
    CALL_MAX_PARTICIPANTS: z.coerce.number().int().min(2).max(200).default(50),
    /** Past this many people a call's media moves from the mesh (everyone sends to everyone) to the SFU. */
    CALL_MESH_MAX: z.coerce.number().int().min(2).max(16).default(6),
    /**
     * The SFU for big calls: `auto` starts Janus (the Debian package) when it is installed and
     * JANUS_URL is not set; `off` keeps every call a mesh. Several nodes need one shared Janus (JANUS_URL).
     */
    CALL_SFU: z.enum(['auto', 'off']).default('auto'),
    /** A Janus run by the operator (its WebSocket API), shared by every node; with its api_secret and VideoRoom admin_key. */
    JANUS_URL: z.url({ protocol: /^wss?$/ }).optional(),
    JANUS_API_SECRET: z.string().optional(),
    JANUS_ADMIN_KEY: z.string().optional(),
    /** The Janus binary Parley starts itself. */
    JANUS_BIN: z.string().min(1).default('janus'),
    /** Interfaces or addresses the started Janus gathers media candidates on, comma-separated (default: all but loopback). */
    JANUS_ICE_INTERFACES: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    /** The public address to advertise for media when the host is behind a 1:1 NAT (a cloud VM). */
    JANUS_NAT_1_1: z.string().optional(),
    /** UDP ports the started Janus uses for media. */
    JANUS_RTP_PORTS: z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/, 'Must be min-max, e.g. 20000-30000')
      .default('20000-30000'),
    /** A call device that drops (or whose node dies) stays in its call this long, to resume. */
    CALL_RECONNECT_GRACE_SECONDS: z.coerce.number().min(0.5).max(600).default(20),
    /** How long DM recipients are rung. */
    CALL_RING_SECONDS: z.coerce.number().min(1).max(600).default(30),
    /** Largest file per attachment, in bytes. */
    ATTACHMENT_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .max(1024 ** 4)
      .default(25 * 1024 * 1024),
    /**
     * Private addresses link previews may fetch from (an intranet's wiki): IPs or CIDR ranges,
     * comma-separated. Everything else that is not the public internet is refused (link-previews/guard.ts).
     */
    LINK_PREVIEWS_ALLOW: z
      .string()
      .default('')
      .transform((value, context) => {
        try {
          return parseAllowList(value);
        } catch (error) {
          context.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    /** STUN servers handed to call clients: `stun:host:port`, comma-separated. */
    STUN_URLS: iceUrls(['stun', 'stuns']),
    /** TURN servers handed to call clients with short-lived credentials (coturn `use-auth-secret`). */
    TURN_URLS: iceUrls(['turn', 'turns']),
    /** coturn's `static-auth-secret`: signs the TURN credentials. */
    TURN_SECRET: z.string().min(16, 'At least 16 characters').optional(),
    /**
     * How long a TURN credential works: long enough to outlast a long call (coturn also checks the
     * expiry on the requests that keep a relay alive), short enough that a leaked one soon dies.
     */
    TURN_CREDENTIAL_TTL_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(7 * 24 * 3600)
      .default(12 * 3600),
    /** An account its owner asked to delete is erased after this many days (signing in before then can cancel it). */
    ACCOUNT_DELETION_GRACE_DAYS: z.coerce.number().min(0).max(365).default(14),
    /** A sign-in session unused this many days is signed out. */
    SESSION_IDLE_DAYS: z.coerce.number().min(1).max(3650).default(30),
    /** A guest who never chose a password and was not seen for this many days is removed (their messages stay, as a former guest's). */
    GUEST_RETENTION_DAYS: z.coerce.number().min(1).max(3650).default(30),
    /** Outgoing mail (password reset, address confirmation): smtp://user:pass@host:port or smtps://…; unset: no mail. */
    SMTP_URL: z
      .string()
      .regex(/^smtps?:\/\/[^\s]+$/, 'Must be an smtp:// or smtps:// URL')
      .optional(),
    /** The sender of Parley's mail: `Parley <parley@example.org>` or a bare address. */
    MAIL_FROM: z.string().trim().min(3).max(320).optional(),
    /** Reset links work this long. */
    PASSWORD_RESET_TTL_MINUTES: z.coerce
      .number()
      .int()
      .min(5)
      .max(24 * 60)
      .default(30),
    /** "Forgot password" requests per address, and per client IP: `requests/seconds`. */
    PASSWORD_RESET_RATE_LIMIT: rate.default({ points: 3, seconds: 3600 }),
    /** Single sign-on providers (OpenID Connect); each redirects back to PUBLIC_URL/api/v10/auth/oidc/<id>/callback. */
    OIDC_PROVIDERS: oidcProviders,
    /** Only single sign-on: password sign-up, sign-in and guest upgrades are refused (admins excepted). */
    SSO_ONLY: z.enum(['true', 'false'], 'Must be true or false').default('false'),
    /**
     * Web Push endpoints on this machine (http or https to 127.0.0.1, ::1, localhost) are accepted
     * and pushed to: for tests and development against a local push service. Off in production,
     * where an endpoint must be https to a public address (docs/push.md).
     */
    PUSH_ALLOW_LOOPBACK: z.enum(['true', 'false'], 'Must be true or false').default('false'),
    /** A listener of its own serving only GET /metrics (Prometheus), for a network the public cannot reach; 0 picks a free port. */
    METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
    /** Where the METRICS_PORT listener binds (default: HOST). */
    METRICS_HOST: z.string().min(1).optional(),
    /** GET /metrics on the main port answers requests with `Authorization: Bearer <this>`; unset, it is 404 there. */
    METRICS_TOKEN: z.string().min(16, 'At least 16 characters').max(512).optional(),
  })
  // Half a TLS setting would silently serve plain HTTP where the operator expects HTTPS.
  .refine((e) => !e.TLS_KEY || e.TLS_CERT, { path: ['TLS_CERT'], message: 'Required when TLS_KEY is set (both or neither)' })
  .refine((e) => !e.TLS_CERT || e.TLS_KEY, { path: ['TLS_KEY'], message: 'Required when TLS_CERT is set (both or neither)' })
  .refine((e) => e.HTTP_REDIRECT_PORT === undefined || e.TLS_CERT, { path: ['HTTP_REDIRECT_PORT'], message: 'Needs TLS_CERT and TLS_KEY: it redirects to HTTPS on PORT' })
  .refine((e) => e.HTTP_REDIRECT_PORT === undefined || e.HTTP_REDIRECT_PORT !== e.PORT, { path: ['HTTP_REDIRECT_PORT'], message: 'Must differ from PORT' })
  .refine((e) => e.METRICS_PORT === undefined || e.METRICS_PORT === 0 || e.METRICS_PORT !== e.PORT, { path: ['METRICS_PORT'], message: 'Must differ from PORT' })
  .refine((e) => e.TURN_URLS.length === 0 || e.TURN_SECRET, { path: ['TURN_SECRET'], message: 'Required when TURN_URLS is set' })
  .refine((e) => e.OIDC_PROVIDERS.length === 0 || e.PUBLIC_URL, {
    path: ['PUBLIC_URL'],
    message: 'Required when OIDC_PROVIDERS is set: providers send people back to PUBLIC_URL/api/v10/auth/oidc/<id>/callback',
  })
  .refine((e) => e.SSO_ONLY === 'false' || e.OIDC_PROVIDERS.length > 0, { path: ['SSO_ONLY'], message: 'Needs at least one provider in OIDC_PROVIDERS' })
  // Links in mail must point at the real server: built from a request's Host header, a forged
  // one would mail the victim a reset link to someone else's site.
  .refine((e) => !e.SMTP_URL || e.PUBLIC_URL, { path: ['PUBLIC_URL'], message: 'Required when SMTP_URL is set (links in mail are built from it)' })
  .refine((e) => !e.SMTP_URL || e.MAIL_FROM, { path: ['MAIL_FROM'], message: 'Required when SMTP_URL is set' });

export type Config = ReturnType<typeof parseConfig>;

/** The name of every environment variable Parley reads (deploy/'s manifests are checked against it). */
export const SETTING_NAMES: readonly string[] = Object.keys(EnvSchema.shape);

export function parseConfig(env: Record<string, string | undefined>) {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    /** Certificate and key files (absolute), read at start and again on SIGHUP; null: plain HTTP. */
    tls: e.TLS_CERT && e.TLS_KEY ? { certFile: path.resolve(e.TLS_CERT), keyFile: path.resolve(e.TLS_KEY), redirectPort: e.HTTP_REDIRECT_PORT ?? null } : null,
    dataDir: path.resolve(e.DATA_DIR),
    /** The bucket files go to; null: DATA_DIR/files. */
    filesS3: e.FILES_S3_URL ?? null,
    databaseUrl: e.DATABASE_URL ?? null,
    databaseSchema: e.DATABASE_SCHEMA ?? null,
    databasePreparedStatements: e.DATABASE_PREPARED_STATEMENTS === 'true',
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    workerId: e.WORKER_ID ?? null,
    rateLimits: { authPerIp: e.AUTH_RATE_LIMIT_IP, failedLoginsPerAccount: e.AUTH_RATE_LIMIT_ACCOUNT },
    webDir: e.WEB_DIR === undefined ? defaultWebDir() : e.WEB_DIR || null,
    redisUrl: e.REDIS_URL ?? null,
    redisPrefix: e.REDIS_PREFIX,
    nodeTimeoutMs: e.NODE_TIMEOUT_SECONDS * 1000,
    publicUrl: e.PUBLIC_URL?.replace(/\/$/, '') ?? null,
    gateway: {
      heartbeatMs: e.GATEWAY_HEARTBEAT_MS,
      resumeWindowMs: e.RESUME_WINDOW_SECONDS * 1000,
      maxLogEntries: e.EVENT_LOG_MAX_ENTRIES,
      maxBufferedBytes: e.GATEWAY_MAX_BUFFERED_BYTES,
    },
    mail: e.SMTP_URL ? { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM!, publicUrl: e.PUBLIC_URL!.replace(/\/$/, '') } : null,
    accounts: {
      deletionGraceMs: e.ACCOUNT_DELETION_GRACE_DAYS * DAY_MS,
      sessionIdleMs: e.SESSION_IDLE_DAYS * DAY_MS,
      guestRetentionMs: e.GUEST_RETENTION_DAYS * DAY_MS,
    },
    passwordReset: { ttlMs: e.PASSWORD_RESET_TTL_MINUTES * 60_000, rateLimit: e.PASSWORD_RESET_RATE_LIMIT },
    messageRateLimit: e.MESSAGE_RATE_LIMIT,
    attachmentMaxBytes: e.ATTACHMENT_MAX_BYTES,
    linkPreviewsAllow: e.LINK_PREVIEWS_ALLOW,
    calls: { maxParticipants: e.CALL_MAX_PARTICIPANTS, meshMax: e.CALL_MESH_MAX, graceMs: e.CALL_RECONNECT_GRACE_SECONDS * 1000, ringMs: e.CALL_RING_SECONDS * 1000 },
    sfu:
      e.CALL_SFU === 'off'
        ? null
        : {
            external: e.JANUS_URL ? { url: e.JANUS_URL, apiSecret: e.JANUS_API_SECRET ?? '', adminKey: e.JANUS_ADMIN_KEY ?? '' } : null,
            binary: e.JANUS_BIN,
            iceInterfaces: e.JANUS_ICE_INTERFACES,
            nat11: e.JANUS_NAT_1_1 ?? null,
            rtpPorts: e.JANUS_RTP_PORTS,
          },
    ice: {
      stunUrls: e.STUN_URLS,
      turn: e.TURN_URLS.length > 0 ? { urls: e.TURN_URLS, secret: e.TURN_SECRET! } : null,
      /** TURN credentials' lifetime; without TURN, how long clients may keep the list before fetching it again. */
      ttlSeconds: e.TURN_CREDENTIAL_TTL_SECONDS,
    },
    sso: { providers: e.OIDC_PROVIDERS, ssoOnly: e.SSO_ONLY === 'true' },
    push: { allowLoopback: e.PUSH_ALLOW_LOOPBACK === 'true' },
    metrics: { port: e.METRICS_PORT ?? null, host: e.METRICS_HOST ?? e.HOST, token: e.METRICS_TOKEN ?? null },
  };
}

/** packages/web/dist, found from this file whether it runs from src/ (tsx) or dist/ (built). */
function defaultWebDir(): string {
  return fileURLToPath(new URL('../../web/dist', import.meta.url));
}
