import { API_PREFIX, ErrorBody, type RouteDef, type RouteParsed, type RouteResponse } from '@parley/protocol';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SessionRow, UserRow } from '../db/tables';
import { z } from 'zod';
import { ApiError } from './errors';

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

declare module 'fastify' {
  interface FastifyRequest {
    auth: Auth | null;
  }
}

export type HandlerInput<R extends RouteDef> = RouteParsed<R> & {
  auth: R['auth'] extends 'none' ? null : R['auth'] extends 'user' ? Auth : PersonAuth;
  request: FastifyRequest;
  reply: FastifyReply;
};

export type Handler<R extends RouteDef> = (input: HandlerInput<R>) => Promise<RouteResponse<R>>;

/**
 * Registers the handler for a route described in @parley/protocol: its schemas validate the
 * request and document it in OpenAPI, its `auth` decides who may call it. Authentication runs
 * in onRequest, so an anonymous upload is refused before a single body byte is read.
 */
export function handle<R extends RouteDef>(app: FastifyInstance, authenticate: Authenticate, route: R, handler: Handler<R>): void {
  app.route({
    method: route.method,
    url: API_PREFIX + route.path,
    bodyLimit: route.rawBody?.maxBytes ?? route.bodyLimit,
    schema: {
      summary: route.summary,
      tags: [route.tag],
      ...(route.auth === 'none' ? {} : { security: [{ token: [] }] }),
      ...(route.params ? { params: route.params } : {}),
      ...(route.query ? { querystring: route.query } : {}),
      ...(route.body ? { body: route.body } : {}),
      response: {
        [route.response ? 200 : 204]: route.response ?? z.null().describe('No content'),
        '4xx': ErrorBody,
        '5xx': ErrorBody,
      },
    },
    onRequest:
      route.auth === 'none'
        ? undefined
        : async (request) => {
            const auth = await authenticate(request.headers.authorization);
            if (route.auth !== 'user' && !auth.session) throw new ApiError('BOT_FORBIDDEN');
            if (route.auth === 'admin' && !auth.user.admin) throw new ApiError('MISSING_ACCESS');
            if (auth.user.password_change_required && !route.allowedBeforePasswordChange) {
              throw new ApiError('PASSWORD_CHANGE_REQUIRED');
            }
            request.auth = auth;
          },
    handler: async (request, reply) => {
      if (route.rawBody) checkRawBody(route.rawBody, request);
      const result = await handler({
        params: request.params,
        query: request.query,
        body: request.body,
        auth: request.auth,
        request,
        reply,
      } as HandlerInput<R>);
      if (route.response === null) return reply.status(204).send();
      return result;
    },
  });
}

/** `handle` bound to one app and authenticator: what feature modules register their routes with. */
export function routeRegistrar(app: FastifyInstance, authenticate: Authenticate) {
  return <R extends RouteDef>(route: R, handler: Handler<R>): void => handle(app, authenticate, route, handler);
}

function checkRawBody(rawBody: NonNullable<RouteDef['rawBody']>, request: FastifyRequest): void {
  const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (!rawBody.contentTypes.includes(type) || !Buffer.isBuffer(request.body)) {
    throw new ApiError('UNSUPPORTED_MEDIA_TYPE', { message: `Send the file as the raw body with one of: ${rawBody.contentTypes.join(', ')}` });
  }
}
