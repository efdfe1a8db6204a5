import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** A saved session: what `parley-chat` with no arguments reuses. */
export interface Profile {
  server: string;
  token: string;
}

/** $XDG_CONFIG_HOME/parley/profile.json, or ~/.config/parley/profile.json. */
export function profilePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'parley', 'profile.json');
}

export async function loadProfile(path = profilePath()): Promise<Profile | null> {
  try {
    const data = JSON.parse(await readFile(path, 'utf8')) as Partial<Profile>;
    return typeof data.server === 'string' && typeof data.token === 'string' ? { server: data.server, token: data.token } : null;
  } catch {
    return null;
  }
}

/** Written with mode 0600 (the token is a password's equivalent); chmod too, for a file that existed. */
export async function saveProfile(profile: Profile, path = profilePath()): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, JSON.stringify(profile, null, 2) + '\n', { mode: 0o600 });
  await chmod(path, 0o600);
}

export async function deleteProfile(path = profilePath()): Promise<void> {
  await rm(path, { force: true });
}
