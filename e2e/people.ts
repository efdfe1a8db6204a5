import type { APIRequestContext, BrowserContext, Page } from '@playwright/test';
import { test as base, decryptionFailures, expect } from './fixtures';
import { signUpViaUi, uniqueName } from './helpers';

/** A signed-up person in their own browser context, with a REST client signed in as them. */
export interface Person {
  page: Page;
  id: string;
  username: string;
  api: Api;
}

/** Calls /api/v10 as one person; answers are checked to be 2xx and parsed. */
export interface Api {
  get<T = unknown>(path: string): Promise<T>;
  post<T = unknown>(path: string, body?: unknown): Promise<T>;
  put(path: string): Promise<void>;
  patch<T = unknown>(path: string, body: unknown): Promise<T>;
  delete(path: string): Promise<void>;
}

function apiFor(request: APIRequestContext, token: string): Api {
  const call = async <T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    const response = await request.fetch(`/api/v10${path}`, { method, headers: { Authorization: token }, ...(body !== undefined && { data: body }) });
    expect(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`).toBe(true);
    return (response.status() === 204 ? undefined : await response.json()) as T;
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body ?? {}),
    put: (path) => call('PUT', path),
    patch: (path, body) => call('PATCH', path, body),
    delete: (path) => call('DELETE', path),
  };
}

/** Console warnings kept per journey (a failing one prints them). */
const MAX_WARNINGS = 200;

/**
 * `newPerson(name)`: a signed-up person in a browser context of their own. Like the `page`
 * fixture, a script error or CSP violation on any of their pages fails the test; their contexts
 * are closed when it ends.
 */
export const test = base.extend<{ newPerson: (displayName: string, options?: { colorScheme?: 'light' | 'dark' }) => Promise<Person> }>({
  newPerson: async ({ browser }, use, testInfo) => {
    const contexts: BrowserContext[] = [];
    const problems: string[] = [];
    // What the app warned about, printed when the journey fails: CI keeps nothing but its log.
    const warnings: string[] = [];
    await use(async (displayName, options = {}) => {
      const context = await browser.newContext({ colorScheme: options.colorScheme ?? 'light' });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => problems.push(`${displayName}: page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`${displayName}: CSP: ${message.text()}`);
        if ((message.type() === 'warning' || message.type() === 'error') && warnings.length < MAX_WARNINGS)
          warnings.push(`${new Date().toISOString()} ${displayName}: ${message.text().slice(0, 500)}`);
      });
      const username = await signUpViaUi(page, { username: uniqueName(displayName.toLowerCase()), displayName });
      const token = (await page.evaluate(() => localStorage.getItem('parley.token')))!;
      const api = apiFor(page.request, token);
      const me = await api.get<{ id: string }>('/users/@me');
      return { page, id: me.id, username, api };
    });
    for (const page of contexts.flatMap((context) => context.pages())) {
      const failures = await decryptionFailures(page);
      if (failures) problems.push(`${page.url()}: ${failures} encrypted messages could not be opened`);
    }
    for (const context of contexts) await context.close();
    if (testInfo.status !== testInfo.expectedStatus && warnings.length) console.log(`Browser warnings in "${testInfo.title}":\n${warnings.join('\n')}`);
    expect(problems, 'script errors, CSP violations or encrypted messages that could not be opened').toEqual([]);
  },
});

/** A server made by `owner` through the API, joined by the others with an invite; returns its IDs. */
export async function serverWith(owner: Person, others: Person[], name: string, extraChannels: string[] = []) {
  const guild = await owner.api.post<{ id: string }>('/guilds', { name });
  const channels = await owner.api.get<{ id: string; name: string; type: number }[]>(`/guilds/${guild.id}/channels`);
  const general = channels.find((c) => c.type === 0)!;
  const extra: Record<string, string> = {};
  for (const channelName of extraChannels) extra[channelName] = (await owner.api.post<{ id: string }>(`/guilds/${guild.id}/channels`, { name: channelName })).id;
  const invite = await owner.api.post<{ code: string }>(`/channels/${general.id}/invites`, {});
  for (const other of others) await other.api.post(`/invites/${invite.code}`);
  return { guildId: guild.id, generalId: general.id, channels: extra };
}

export { expect };
