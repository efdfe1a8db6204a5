import { routes, type Snowflake } from '@parley/protocol';
import { type RestClient, sessionOf } from '@parley/sdk';
import { runCommand } from '../cli/commands';
import { uniqueName } from './fixtures';
import type { TestServer } from './server';

/** An instance admin made by the documented command (`admin create`), past the one-time password. */
export async function makeAdmin(server: TestServer): Promise<{ client: RestClient; id: Snowflake; username: string; password: string }> {
  const username = uniqueName('admin');
  const [, passwordLine] = await runCommand(['admin', 'create', username], server.db.database, { now: () => Date.now() });
  const oneTime = passwordLine!.replace('One-time password: ', '');
  const { token, user_id } = sessionOf(await server.client().request(routes.auth.login, { body: { login: username, password: oneTime } }));
  const client = server.client(token);
  const password = 'admin chosen password';
  await client.request(routes.users.updateMe, { body: { password: oneTime, new_password: password } });
  return { client, id: user_id, username, password };
}
