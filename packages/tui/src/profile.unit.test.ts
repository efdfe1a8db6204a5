import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { deleteProfile, loadProfile, profilePath, saveProfile } from './profile';

it('saves the session with mode 0600 under XDG_CONFIG_HOME, loads and deletes it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-tui-'));
  const path = profilePath({ XDG_CONFIG_HOME: dir });
  expect(path).toBe(join(dir, 'parley', 'profile.json'));
  await saveProfile({ server: 'http://localhost:8080', token: 't' }, path);
  expect((await stat(path)).mode & 0o777).toBe(0o600);
  expect(await loadProfile(path)).toEqual({ server: 'http://localhost:8080', token: 't' });
  await deleteProfile(path);
  expect(await loadProfile(path)).toBeNull();
});
