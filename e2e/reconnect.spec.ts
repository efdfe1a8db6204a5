import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { routes } from '@parley/protocol';
import { RestClient } from '@parley/sdk';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { signUpViaUi } from './helpers';

/**
 * A server restart in the middle of a conversation: clients show that they are reconnecting,
 * come back by themselves, and every message shows exactly once, including one sent while a
 * client was still away. This spec runs its own server so it can stop and start it.
 */
const port = Number(process.env.E2E_PORT ?? 18_080) + 50;
const baseUrl = `http://127.0.0.1:${port}`;
const dataDir = `.test-output/restart-data-${port}`;

async function startServer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['packages/server/dist/main.js'], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', AUTH_RATE_LIMIT_IP: '1000/60' },
    stdio: 'inherit',
  });
  // Ready when /readyz answers; bounded at 20 s.
  for (let i = 0; i < 200; i++) {
    if (
      await fetch(`${baseUrl}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('The server did not become ready');
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

let server: ChildProcess | null = null;
test.beforeAll(async () => {
  fs.rmSync(dataDir, { recursive: true, force: true });
  server = await startServer();
});
test.afterAll(async () => {
  if (server && server.exitCode === null) await stopServer(server);
});

test('a server restart loses and doubles nothing, and the banner tells people meanwhile', async ({ browser }) => {
  const contexts = [await browser.newContext({ baseURL: baseUrl }), await browser.newContext({ baseURL: baseUrl })];
  try {
    await conversation(await contexts[0]!.newPage(), await contexts[1]!.newPage());
  } finally {
    for (const context of contexts) await context.close();
  }
});

async function conversation(adaPage: Page, gracePage: Page): Promise<void> {
  await signUpViaUi(adaPage, { displayName: 'Ada' });
  await signUpViaUi(gracePage, { displayName: 'Grace' });
  const ada = new RestClient({ baseUrl, token: await adaPage.evaluate(() => localStorage.getItem('parley.token')) });
  const grace = new RestClient({ baseUrl, token: await gracePage.evaluate(() => localStorage.getItem('parley.token')) });
  const guild = await ada.request(routes.guilds.create, { body: { name: 'Restart Club' } });
  const [general] = (await ada.request(routes.guilds.listChannels, { params: { guild_id: guild.id } })).filter((c) => c.name === 'general');
  const invite = await ada.request(routes.invites.create, { params: { channel_id: general!.id }, body: {} });
  await grace.request(routes.invites.accept, { params: { code: invite.code } });
  for (const page of [adaPage, gracePage]) await page.goto(`/channels/${guild.id}/${general!.id}`);

  await adaPage.getByTestId('composer').fill('before the restart');
  await adaPage.getByTestId('composer').press('Enter');
  const messages = (page: typeof gracePage, text: string) => page.getByTestId('message-text').filter({ hasText: text });
  await expect(messages(gracePage, 'before the restart')).toHaveCount(1);

  await stopServer(server!);
  await expect(gracePage.getByTestId('connection-banner')).toContainText('Reconnecting');
  server = await startServer();
  // Sent the moment the server is back, likely before Grace's client has reconnected.
  await ada.request(routes.messages.create, { params: { channel_id: general!.id }, body: { content: 'while you were away' } });

  await expect(gracePage.getByTestId('connection-banner')).toHaveCount(0, { timeout: 20_000 });
  await expect(messages(gracePage, 'while you were away')).toHaveCount(1);
  await adaPage.getByTestId('composer').fill('after the restart');
  await adaPage.getByTestId('composer').press('Enter');
  await expect(messages(gracePage, 'after the restart')).toHaveCount(1);
  await expect(messages(gracePage, 'before the restart')).toHaveCount(1);
  await expect(messages(adaPage, 'while you were away')).toHaveCount(1);
}
