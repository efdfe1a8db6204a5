import { routes } from '@parley/protocol';
import type { ParleyApiError } from '@parley/sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemClock } from '../core/clock';
import { openDatabase } from '../db/database';
import { signUp } from '../testing/fixtures';
import { startTestServer, type TestServer } from '../testing/server';
import { runCommand } from './commands';

// SQLite only (the unit project's database): there a running server notices another process's
// commits itself (data_version). Several nodes hear the CLI through Redis instead (cli.ts).
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

// The operator's CLI is a process of its own: the running server's caches (cache/) must follow it.
it('signs the user out at once when the reset comes from another process', async () => {
  expect(server.db.database.dialect).toBe('sqlite');
  const { client, username } = await signUp(server);
  await client.request(routes.users.getMe); // the session is now cached
  const cli = await openDatabase({ url: null, dataDir: server.db.dataDir });
  try {
    await runCommand(['admin', 'reset-password', username], cli, systemClock);
  } finally {
    await cli.close();
  }
  expect(await client.request(routes.users.getMe).catch((e: ParleyApiError) => e.status)).toBe(401);
});
