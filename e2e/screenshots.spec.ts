import { expect, serverWith, test } from './people';

/**
 * Saves the main screens in both themes under .test-output/screenshots (kept as CI artifacts;
 * the README shows two of them). Also checks each screen renders in each theme.
 */
for (const theme of ['light', 'dark'] as const) {
  test(`main screens in the ${theme} theme`, async ({ newPerson }) => {
    const sam = await newPerson('Sam', { colorScheme: theme });
    const ada = await newPerson('Ada', { colorScheme: theme });
    const { page } = sam;
    const shot = async (name: string) => {
      await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
      await page.screenshot({ path: `.test-output/screenshots/${name}-${theme}.png` });
    };
    await page.setViewportSize({ width: 1280, height: 800 });
    await shot('home');

    // A conversation with what a channel usually holds: a mention, a reply, a reaction, code.
    const { guildId, generalId } = await serverWith(sam, [ada], 'Design Team', ['releases']);
    const say = (who: typeof sam, content: string, replyTo?: string) =>
      who.api.post<{ id: string }>(`/channels/${generalId}/messages`, { content, ...(replyTo && { message_reference: { message_id: replyTo } }) });
    await say(sam, 'Morning! The new **sidebar** is up on staging.');
    const question = await say(ada, `Looks great <@${sam.id}> — does it remember collapsed categories?`);
    await say(sam, 'It does, per device. Stored like this:', question.id);
    const code = await say(sam, '```ts\nlocalStorage.setItem(`collapsed:${guildId}`, JSON.stringify(ids));\n```');
    await ada.api.put(`/channels/${generalId}/messages/${code.id}/reactions/${encodeURIComponent('👍')}/@me`);
    await say(ada, 'Ship it on Friday? ||after the release notes||');

    await page.goto(`/channels/${guildId}/${generalId}`);
    await expect(page.getByText('after the release notes')).toBeVisible();
    await expect(page.getByRole('button', { name: /👍/ })).toBeVisible();
    // A reply quotes its original with mentions as names, not markup.
    await expect(page.getByRole('button', { name: 'Looks great @Sam — does it remember collapsed categories?' })).toBeVisible();
    await shot('chat');

    await page.goto('/settings/profile');
    await expect(page.getByRole('heading', { name: 'Profile' })).toBeVisible();
    await shot('settings-profile');

    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`/channels/${guildId}/${generalId}`);
    await expect(page.getByText('after the release notes')).toBeVisible();
    await shot('chat-phone');

    await page.context().clearCookies();
    await page.evaluate(() => localStorage.removeItem('parley.token'));
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto('/login');
    await expect(page.getByRole('heading', { name: 'Welcome back!' })).toBeVisible();
    await shot('login');
  });
}
