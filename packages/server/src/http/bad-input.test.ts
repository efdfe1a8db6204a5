import { adminRoutes } from '@parley/protocol/admin';
import { e2eeRoutes } from '@parley/protocol/e2ee';
import { reportRoutes } from '@parley/protocol/reports';
import { safetyRoutes } from '@parley/protocol/safety';
import { API_PREFIX, type RouteDef, routes } from '@parley/protocol';
import { sessionOf } from '@parley/sdk';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { runCommand } from '../cli/commands';
import { systemClock } from '../core/clock';
import { uniqueName } from '../testing/fixtures';
import { startTestServer, type TestServer } from '../testing/server';

/**
 * Walks every REST route in the contract and throws malformed input at it: wrong JSON types,
 * a wrong type in each field, non-JSON, bad path parameters. Every answer must be a 4xx with
 * a stable code and a message (never a 500), and the stored data must be exactly as before.
 */
let server: TestServer;
let adminToken: string;

beforeAll(async () => {
  server = await startTestServer();
  const username = uniqueName('admin');
  const [, line] = await runCommand(['admin', 'create', username], server.db.database, systemClock);
  const password = line!.split(': ')[1]!;
  const { token } = sessionOf(await server.client().request(routes.auth.login, { body: { login: username, password } }));
  await server.client(token).request(routes.users.updateMe, { body: { password, new_password: 'admin password 1' } });
  adminToken = token;
  await server.client(token).request(routes.instance.createInvite, { body: {} });
});
afterAll(() => server.close());

const allRoutes: RouteDef[] = [
  ...Object.values(routes).flatMap((group) => Object.values(group)),
  ...Object.values(adminRoutes),
  ...Object.values(reportRoutes),
  ...Object.values(safetyRoutes),
  ...Object.values(e2eeRoutes),
];

/** Everything stored, as one string, to compare before and after. */
async function snapshot(): Promise<string> {
  const tables = ['users', 'sessions', 'registration_invites', 'instance_settings'] as const;
  const dump: Record<string, unknown> = {};
  for (const table of tables) {
    dump[table] = (await sql`select * from ${sql.table(table)}`.execute(server.db.database.db)).rows
      .map((row) => JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)))
      .sort();
  }
  return JSON.stringify(dump);
}

/** A valid-looking path for the route, with each parameter filled in. */
function path(route: RouteDef, value: string): string {
  return API_PREFIX + route.path.replace(/:([a-z_]+)/g, () => encodeURIComponent(value));
}

function bodyShape(route: RouteDef): Record<string, unknown> | null {
  let schema = route.body;
  if (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  return schema instanceof z.ZodObject ? schema.shape : null;
}

async function send(route: RouteDef, url: string, payload: string, contentType = 'application/json') {
  const response = await server.app.inject({ method: route.method, url, payload, headers: { authorization: adminToken, 'content-type': contentType } });
  const body = response.json() as { code: number; message: string; errors?: Record<string, unknown> };
  expect(response.statusCode, `${route.method} ${url} ${payload.slice(0, 60)}`).toBeGreaterThanOrEqual(400);
  expect(response.statusCode).toBeLessThan(500);
  expect(typeof body.code).toBe('number');
  expect(body.message.length).toBeGreaterThan(0);
  return { status: response.statusCode, body };
}

describe('the contract', () => {
  it('has a handler for every route it defines', () => {
    const missing = allRoutes.filter((r) => !server.app.hasRoute({ method: r.method, url: API_PREFIX + r.path })).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });
});

describe('every route refuses malformed input and changes nothing', () => {
  it('bodies of the wrong JSON type, a wrong type in each field, and non-JSON', async () => {
    const before = await snapshot();
    for (const route of allRoutes.filter((r) => r.body || r.rawBody)) {
      const url = path(route, '1');
      if (route.rawBody) {
        expect((await send(route, url, '{}')).status).toBe(415);
        continue;
      }
      for (const payload of ['[]', '"text"', '42', 'true', '[{"a":1}]']) {
        expect((await send(route, url, payload)).body.code).toBe(50035);
      }
      expect((await send(route, url, '{"unterminated": ')).body.code).toBe(50109);
      expect((await send(route, url, 'a=b', 'application/x-www-form-urlencoded')).status).toBe(415);
      expect((await send(route, url, '{}', 'text/plain')).status).toBe(415);
      for (const [field, schema] of Object.entries(bodyShape(route) ?? {})) {
        // Passwords may contain any character (they are only ever hashed); every other text refuses NUL.
        const values = /password/.test(field) ? [[{ nested: true }], 'x'.repeat(10_000)] : [[{ nested: true }], 'nul\u0000byte', 'x'.repeat(10_000)];
        // Ten thousand characters are a valid value of a few fields (an encrypted key backup's base64).
        for (const value of values.filter((v) => !(schema as z.ZodType).safeParse(v).success)) {
          const { body } = await send(route, url, JSON.stringify({ [field]: value }));
          expect(body.code).toBe(50035);
          expect(body.errors, `${route.path} ${field}`).toHaveProperty(field);
          expect(body.message).toContain('Invalid Form Body');
        }
      }
    }
    expect(await snapshot()).toBe(before);
  });

  it('bad path parameters', async () => {
    const before = await snapshot();
    for (const route of allRoutes.filter((r) => r.params)) {
      for (const value of ['not-a-number', '-1', '1'.repeat(30), '99999999999999999999', '../../etc/passwd', ' ', '%00', '\u0000']) {
        const payload = route.body ? '{}' : undefined;
        const response = await server.app.inject({
          method: route.method,
          url: path(route, value),
          payload,
          headers: { authorization: adminToken, ...(payload ? { 'content-type': 'application/json' } : {}) },
        });
        // The invite code parameter is free text, so some of these are merely unknown (404).
        expect([400, 404], `${route.path} with ${JSON.stringify(value)}`).toContain(response.statusCode);
        expect(typeof response.json().code).toBe('number');
      }
    }
    expect(await snapshot()).toBe(before);
  });
});

describe('readiness', () => {
  it('reports 503 once the database is gone', async () => {
    const doomed = await startTestServer();
    try {
      await doomed.db.database.close();
      const response = await doomed.app.inject('/readyz');
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ code: 90503 });
      expect((await doomed.app.inject('/healthz')).statusCode).toBe(200);
    } finally {
      await doomed.close().catch(() => undefined);
    }
  });
});
