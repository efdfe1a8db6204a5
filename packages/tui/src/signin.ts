import { RestClient, SignInFlow, routes } from '@parley/sdk';
import type { Args } from './args';
import { type Profile, loadProfile, saveProfile } from './profile';
import { ask } from './prompt';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * A session from the options: a password read from stdin (never from argv, which other users
 * see in `ps`; a second line there is the two-factor code), a new guest, the saved profile, or
 * else questions asked on the terminal. A new session is saved for next time.
 */
export async function signIn(args: Args, trusted: (server: string) => Promise<typeof fetch>): Promise<Profile> {
  const saved = await loadProfile();
  const server = (args.server ?? saved?.server ?? '').replace(/\/+$/, '');
  if (!server) throw new Error('No server: pass --server http://host:port');
  const rest = new RestClient({ baseUrl: server, fetch: await trusted(server) });
  let token: string;
  if (args.guest) {
    token = (await rest.request(routes.auth.guest)).token;
  } else if (args.username || !saved || saved.server !== server) {
    if (!process.stdin.isTTY && !args.passwordStdin) throw new Error('Not signed in: pass --username NAME --password-stdin, or --guest');
    const username = args.username ?? (await ask('Username (empty: continue as a guest): '));
    if (!username) token = (await rest.request(routes.auth.guest)).token;
    else {
      const [password = '', code] = args.passwordStdin ? (await readStdin()).split(/\r?\n/) : [await ask('Password: ', { secret: true })];
      const flow = new SignInFlow(rest);
      let state = await flow.password({ login: username, password });
      if (state.step === 'second-factor') state = await flow.code(code ?? (await ask('Two-factor code (app or recovery code): ')));
      if (state.step !== 'signed-in') throw new Error('This account signs in with a passkey only, which needs the web client.');
      token = state.token;
    }
  } else {
    return saved;
  }
  const profile = { server, token };
  await saveProfile(profile);
  return profile;
}
