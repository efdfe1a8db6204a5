import type { z } from 'zod';
import type { PermissionName } from './permissions';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route, enforced before the handler runs:
 * - none: anyone;
 * - user: any signed-in account, bots included (`Authorization: Bot …`);
 * - person: signed-in people only (guests included, bots not): sessions, invites, blocks…;
 * - admin: instance administrators.
 */
export type RouteAuth = 'none' | 'user' | 'person' | 'admin';

/**
 * One REST endpoint, described once. The server registers its handler from this (validation,
 * OpenAPI) and the SDK derives its typed call from it, so the two cannot drift apart.
 */
export interface RouteDef {
  method: HttpMethod;
  /** Path under /api/v10, Fastify style: `/users/:user_id`. */
  path: string;
  summary: string;
  tag: string;
  auth: RouteAuth;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** A raw (non-JSON) body such as an image upload: accepted types and the byte limit. */
  rawBody?: { contentTypes: readonly string[]; maxBytes: number };
  /** Byte limit for a JSON body when it must differ from the default. */
  bodyLimit?: number;
  /**
   * Also accepts files, Discord's way: `multipart/form-data` with the JSON body as a
   * `payload_json` part and each file as a part named `files[0]`, `files[1]`… (at most
   * maxCount). The per-file byte limit is the server's setting.
   */
  files?: { maxCount: number };
  /** Answers 201 Created (with `response`) rather than 200. */
  created?: true;
  /** The success body; null for 204 No Content. */
  response: z.ZodType | null;
  /**
   * A browser navigation answered with a redirect (302 and a Location), not JSON: single sign-on
   * hands the browser to a provider and back. `response` is null; clients build the URL.
   */
  redirect?: true;
  /** Still callable by a user who must change their password first (e.g. to change it). */
  allowedBeforePasswordChange?: boolean;
  /**
   * Still callable by a user whose e-mail address is not confirmed yet, on an instance that
   * requires it (routes allowed before a password change are allowed here too).
   */
  allowedUnverified?: boolean;
  /**
   * What the caller must be allowed before the handler runs, decided by the server's access
   * module: in the channel named by `:channel_id`, or in the server named by `:guild_id`. A
   * channel or server the caller may not know about is "unknown" (10003/10004); without
   * VIEW_CHANNEL it is "missing access" (50001); without any other it is 50013. Checks that
   * depend on the target (deleting someone else's message) stay in the handler.
   */
  requires?: { channel: readonly PermissionName[] } | { guild: readonly PermissionName[] };
}

export function defineRoute<const R extends RouteDef>(route: R): R {
  return route;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
/** What a client sends for a schema; an object whose fields are all optional may be left out. */
type In<S> = S extends z.ZodType ? ({} extends z.input<S> ? z.input<S> | undefined : z.input<S>) : undefined;

/** What a handler returns / what a client receives. */
export type RouteResponse<R extends RouteDef> = R['response'] extends z.ZodType ? z.output<R['response']> : void;
/** What a client sends, before the server's parsing (defaults, trims) applies. */
export type RouteInput<R extends RouteDef> = OptionalWhereUndefined<{
  params: In<R['params']>;
  query: In<R['query']>;
  body: R['rawBody'] extends object ? Blob : In<R['body']>;
  /** Routes that take files: sent as multipart/form-data when given. */
  files: R['files'] extends object ? readonly File[] | undefined : undefined;
}>;
/** What a handler receives, after parsing. */
export type RouteParsed<R extends RouteDef> = {
  params: Out<R['params']>;
  query: Out<R['query']>;
  body: R['rawBody'] extends object ? Uint8Array : Out<R['body']>;
};

/** May be left out: it accepts undefined, or it is an object whose fields are all optional. */
type Omittable<V> = undefined extends V ? true : {} extends V ? true : false;

/** Drops keys that can only be undefined; keys that may be left out become optional. */
type OptionalWhereUndefined<T> = { [K in keyof T as Omittable<T[K]> extends true ? never : K]: T[K] } & {
  [K in keyof T as Omittable<T[K]> extends true ? ([T[K]] extends [undefined] ? never : K) : never]?: T[K];
};

/** The input keys a caller must give; none means the whole input may be left out. */
export type RequiredInputKeys<R extends RouteDef> = {
  [K in keyof RouteInput<R>]-?: Omittable<RouteInput<R>[K]> extends true ? never : K;
}[keyof RouteInput<R>];

/** Fills `:name` segments of a route path from params, URL-encoding each value. */
export function buildPath(path: string, params: Record<string, string> | undefined): string {
  return path.replace(/:([a-z_]+)/g, (_, name: string) => {
    const value = params?.[name];
    if (value === undefined) throw new Error(`Missing path parameter "${name}" for ${path}`);
    return encodeURIComponent(value);
  });
}
