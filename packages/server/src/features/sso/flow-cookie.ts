import { createHmac, timingSafeEqual } from 'node:crypto';
import { API_PREFIX, type Snowflake } from '@parley/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/**
 * The secrets of one round trip to a provider (state, nonce, PKCE verifier), kept in the
 * browser that started it rather than on the server: a signed, HttpOnly cookie scoped to the
 * OIDC routes. Being in that browser is the point: a callback URL replayed in another browser
 * (login CSRF: someone pushing their own identity onto a victim) finds no cookie and fails.
 * SameSite=Lax, because the provider brings the browser back with a top-level navigation,
 * which Strict cookies would miss when the provider is on another site.
 */
const COOKIE = 'parley_sso';
const COOKIE_PATH = `${API_PREFIX}/auth/oidc`;

/** Long enough to type a password at the provider, short enough that an abandoned one dies. */
export const FLOW_TTL_MS = 10 * 60 * 1000;

const Flow = z.object({
  provider: z.string(),
  state: z.string(),
  nonce: z.string(),
  verifier: z.string(),
  /** Linking from settings: the signed-in account the identity goes to. */
  link_user_id: z.string().nullable(),
  expires_at: z.number(),
});
export type Flow = Omit<z.infer<typeof Flow>, 'link_user_id'> & { link_user_id: Snowflake | null };

export class FlowCookie {
  constructor(
    /** Resolves the instance's signing key (shared by every node, from instance_secrets). */
    private readonly key: () => Promise<Buffer>,
    /** Mark it Secure even when the request looks like plain HTTP (PUBLIC_URL is https). */
    private readonly httpsOnly: boolean,
  ) {}

  async set(request: FastifyRequest, reply: FastifyReply, flow: Flow): Promise<void> {
    const payload = Buffer.from(JSON.stringify(flow)).toString('base64url');
    const value = `${payload}.${await this.sign(payload)}`;
    reply.header('set-cookie', `${COOKIE}=${value}; ${this.attributes(request, FLOW_TTL_MS / 1000).join('; ')}`);
  }

  /** The flow this browser started, if its cookie is there, intact and unexpired; null otherwise. */
  async read(request: FastifyRequest, now: number): Promise<Flow | null> {
    const value = readCookie(request.headers.cookie, COOKIE);
    const dot = value?.indexOf('.') ?? -1;
    if (!value || dot < 0) return null;
    const payload = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const expected = Buffer.from(await this.sign(payload), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    const flow = Flow.safeParse(parsed);
    if (!flow.success || flow.data.expires_at <= now) return null;
    return flow.data as Flow;
  }

  /** Each flow is used once: the callback clears it, whatever the outcome. */
  clear(request: FastifyRequest, reply: FastifyReply): void {
    reply.header('set-cookie', `${COOKIE}=; ${this.attributes(request, 0).join('; ')}`);
  }

  private attributes(request: FastifyRequest, maxAgeSeconds: number): string[] {
    return [`Path=${COOKIE_PATH}`, `Max-Age=${maxAgeSeconds}`, 'HttpOnly', 'SameSite=Lax', ...(this.httpsOnly || request.protocol === 'https' ? ['Secure'] : [])];
  }

  private async sign(payload: string): Promise<string> {
    return createHmac('sha256', await this.key())
      .update(`sso-flow:${payload}`)
      .digest('base64url');
  }
}

function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
