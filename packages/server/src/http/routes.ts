import { API_PREFIX, ErrorBody, type RouteDef, type RouteParsed, type RouteResponse } from '@parley/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { type DeclaredAccess, authorizeRoute } from '../access/access';
import type { AccessCache } from '../access/cached';
import type { SessionRow, Tables, UserRow } from '../db/tables';
import { z } from 'zod';
import { ApiError, RequestValidationError } from './errors';
import { type FileReceiver, readMultipartBody } from './multipart';

/** Who is calling: resolved from the Authorization header before the body is even read. */
export interface Auth {
  user: UserRow;
  /** The person's sign-in session; null for bots (`Authorization: Bot …`). */
  session: SessionRow | null;
}

/** A signed-in person (not a bot): what 'person' and 'admin' routes receive. */
export interface PersonAuth extends Auth {
  session: SessionRow;
}

/** Turns an Authorization header into the caller, or throws 401. */
export type Authenticate = (authorization: string | undefined) => Promise<Auth>;

/** What routes are checked with: who is calling (auth), and the database the access module reads. */
export interface RouteGate {
  sessions: { authenticate: Authenticate };
  db: Kysely<Tables>;
  /** Whether mail is sent (without it, nobody can be asked to confirm an address). */
  mailer: object | null;
  settings: { get(): Promise<{ require_verified_email: boolean }> };
  /** The cached access rows, for routes registered with `cachedAccess`. */
  access?: AccessCache;
}

/** How a route is registered, besides its definition. */
export interface RouteOptions {
  /**
   * Check `requires` against the access rows cached per node (access/cached.ts) rather than
   * reading them: for the hottest routes (sending a message), which show nothing of the channel
   * row a send changes without telling the caches (last_message_id).
   */
  cachedAccess?: boolean;
}

/**
 * Whether this person must confirm their e-mail address before anything else: on an instance
 * that requires it and sends mail, for accounts with a login (not guests or bots). Confirmed
 * accounts never cost a settings read.
 */
export async function mustConfirmEmail(gate: RouteGate, user: UserRow): Promise<boolean> {
  if (!gate.mailer || user.email_verified || user.guest || user.bot) return false;
  return (await gate.settings.get()).require_verified_email;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
  }
}

export type HandlerInput<R extends RouteDef, Stored = never> = RouteParsed<R> & {
  auth: R['auth'] extends 'none' ? null : R['auth'] extends 'user' ? Auth : PersonAuth;
  /** Routes that declare `requires`: the channel or guild access they were checked against. */
  access: DeclaredAccess<R>;
  /** Routes that take files: what their FileReceiver stored (empty for a JSON request). */
  files: Stored[];
  request: FastifyRequest;
  reply: FastifyReply;
};

export type Handler<R extends RouteDef, Stored = never> = (input: HandlerInput<R, Stored>) => Promise<RouteResponse<R>>;

/** The receiver for a route's files: required when the route declares `files`, refused otherwise. */
export type RouteFileReceiver<R extends RouteDef, Stored> = FileReceiver<RouteParsed<R>['params'], Stored>;

/**
 * Registers the handler for a route described in @parley/protocol: its schemas validate the
 * request and document it in OpenAPI, its `auth` decides who may call it. Authentication runs
 * in onRequest, so an anonymous upload is refused before a single body byte is read.
 *
 * A route that declares `files` also takes multipart/form-data (see readMultipartBody): before
 * validation, its files stream into `receiver` and payload_json becomes the body the route's
 * schema then validates, exactly as a JSON body would be. Should the request fail after any
 * file was stored (validation, the handler), the receiver discards them.
 */
function handle<R extends RouteDef, Stored = never>(
  app: FastifyInstance,
  gate: RouteGate,
  route: R,
  handler: Handler<R, Stored>,
  receiver?: RouteFileReceiver<R, Stored>,
  options: RouteOptions = {},
): void {
  const cache = options.cachedAccess ? gate.access : undefined;
  const loadChannel = cache ? cache.channelAccess.bind(cache) : undefined;
  if (Boolean(route.files) !== Boolean(receiver)) throw new Error(`${route.method} ${route.path}: a route takes a file receiver exactly when it declares files`);
  /** Files stored for requests still in flight, until the handler has taken them. */
  const pending = new WeakMap<FastifyRequest, Stored[]>();
  app.route({
    method: route.method,
    url: API_PREFIX + route.path,
    bodyLimit: route.rawBody?.maxBytes ?? route.bodyLimit,
    schema: {
      summary: route.summary,
      ...(route.requires && { description: describeRequires(route.requires) }),
      tags: [route.tag],
      ...(route.auth === 'none' ? {} : { security: [{ token: [] }] }),
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { querystring: route.query } : {}),
      ...(route.body ? { body: route.body } : {}),
      response: {
        ...(route.redirect
          ? { 302: z.null().describe('Redirect: see the Location header') }
          : { [route.response ? (route.created ? 201 : 200) : 204]: route.response ?? z.null().describe('No content') }),
        '4xx': ErrorBody,
        '5xx': ErrorBody,
      },
    },
    onRequest:
      route.auth === 'none'
        ? undefined
        : async (request) => {
            const auth = await gate.sessions.authenticate(request.headers.authorization);
            if (route.auth !== 'user' && !auth.session) throw new ApiError('BOT_FORBIDDEN');
            if (route.auth === 'admin' && !auth.user.admin) throw new ApiError('MISSING_ACCESS');
            if (auth.user.password_change_required && !route.allowedBeforePasswordChange) {
              throw new ApiError('PASSWORD_CHANGE_REQUIRED');
            }
            if (!route.allowedBeforePasswordChange && !route.allowedUnverified && (await mustConfirmEmail(gate, auth.user))) {
              throw new ApiError('EMAIL_VERIFICATION_REQUIRED');
            }
            request.auth = auth;
          },
    preValidation: async (request, reply) => {
      if (!request.isMultipart()) return;
      if (!route.files || !receiver) throw new ApiError('UNSUPPORTED_MEDIA_TYPE');
      // Files are stored under the path's IDs, so the path is checked before any of them.
      const params = route.params ? route.params.safeParse(request.params, { reportInput: true }) : { success: true as const, data: undefined };
      if (!params.success) throw new RequestValidationError(params.error.issues);
      const store = await receiver.open({ params: params.data as RouteParsed<R>['params'], auth: request.auth });
      const received: Stored[] = [];
      pending.set(request, received);
      try {
        request.body = await readMultipartBody(request, route.files, store, received);
      } catch (error) {
        // Refused midway: whatever the client still sends is unwanted, so close rather than drain it.
        if (!request.raw.readableEnded) reply.header('connection', 'close');
        throw error;
      }
    },
    onError: route.files
      ? async (request) => {
          const files = pending.get(request);
          pending.delete(request);
          if (files?.length) await receiver!.discard(files);
        }
      : undefined,
    handler: async (request, reply) => {
      if (route.rawBody) checkRawBody(route.rawBody, request);
      const access = route.requires ? await authorizeRoute(gate.db, route.requires, request.params, request.auth!.user.id, loadChannel) : undefined;
      const result = await handler({
        access,
        params: request.params,
        query: request.query,
        body: request.body,
        auth: request.auth,
        files: pending.get(request) ?? [],
        request,
        reply,
      } as HandlerInput<R, Stored>);
      // The handler has taken the files (they belong to what it created) and may no longer be discarded.
      pending.delete(request);
      // A redirect route has answered already (reply.redirect).
      if (route.redirect) return reply;
      if (route.response === null) return reply.status(204).send();
      if (route.created) reply.status(201);
      return result;
    },
  });
}

/** `handle` bound to one app and gate: what feature modules register their routes with. */
export function routeRegistrar(app: FastifyInstance, gate: RouteGate) {
  return <R extends RouteDef, Stored = never>(route: R, handler: Handler<R, Stored>, receiver?: RouteFileReceiver<R, Stored>, options?: RouteOptions): void =>
    handle(app, gate, route, handler, receiver, options);
}

/** What the OpenAPI page says a route requires, from its declaration. */
function describeRequires(requires: NonNullable<RouteDef['requires']>): string {
  const [scope, names] = 'channel' in requires ? ['the channel', requires.channel] : ['the server', requires.guild];
  return names.length ? `Requires ${names.join(', ')} in ${scope}.` : `Requires being able to see ${scope}.`;
}

function checkRawBody(rawBody: NonNullable<RouteDef['rawBody']>, request: FastifyRequest): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!rawBody.contentTypes.includes(type) || !Buffer.isBuffer(request.body)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', { message: `Send the file as the raw body with one of: ${rawBody.contentTypes.join(', ')}` });
  }
}
