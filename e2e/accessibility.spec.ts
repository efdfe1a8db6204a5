import { expectAccessible } from './axe';
import { expect, serverWith, test } from './people';

/**
 * The chat screens in both themes: axe finds no serious or critical problem, and screenshots of
 * them are saved under .test-output/screenshots.
 */

for (const theme of ['light', 'dark'] as const) {
  test(`chat screens pass axe in the ${theme} theme`, async ({ newPerson }) => {
    // Several full-page axe runs: more than the default time on a busy machine.
    test.slow();
    const ada = await newPerson('Ada', { colorScheme: theme });
    const grace = await newPerson('Grace');
    const { guildId, generalId } = await serverWith(ada, [grace], 'Axe Lab', ['random']);
    await grace.api.post(`/channels/${generalId}/messages`, { content: `Hello **Ada**, <@${ada.id}> see \`code\` and a [link](https://example.org) ||spoiler||` });
    await ada.api.post(`/channels/${generalId}/messages`, { content: 'Hi Grace! :)' });
    await grace.api.post(`/channels/${generalId}/messages`, { content: '> quoted\nreply text' });
    const page = ada.page;
    await page.goto(`/channels/${guildId}/${generalId}`);
    await expect(page.locator('html')).toHaveAttribute('data-theme', theme);

    // The conversation: a log of articles, each named by its author.
    const log = page.getByRole('log');
    await expect(log.getByRole('article', { name: /Grace/ }).first()).toBeVisible();
    await expect(log.getByRole('article')).toHaveCount(3);
    await expectAccessible(page, 'a channel');

    // A message from someone else is read out politely, with who sent it and as plain words.
    await grace.api.post(`/channels/${generalId}/messages`, { content: 'Lunch at **noon**?' });
    await expect(page.getByRole('status').filter({ hasText: 'Grace: Lunch at noon?' })).toBeAttached();
    await expect(log.getByRole('article')).toHaveCount(4);

    // Composer autocomplete open.
    await page.getByTestId('composer').pressSequentially('@gr');
    await expect(page.getByRole('listbox', { name: 'Members' })).toBeVisible();
    await expectAccessible(page, 'the mention autocomplete');
    await page.screenshot({ path: `.test-output/screenshots/autocomplete-${theme}.png` });
    await page.getByTestId('composer').press('Escape');

    // Search results panel with a chip and the filter form.
    const box = page.getByRole('searchbox', { name: 'Search this server' });
    await box.fill(`hello from:${grace.username}`);
    await box.press('Enter');
    await expect(page.getByTestId('search-result')).toHaveCount(1);
    await page.getByRole('button', { name: 'Filters' }).click();
    await expectAccessible(page, 'search results');
    await page.screenshot({ path: `.test-output/screenshots/search-${theme}.png` });
    await page.keyboard.press('Escape');

    // Quick switcher.
    await page.keyboard.press('Control+k');
    await expect(page.getByRole('dialog', { name: 'Go to a conversation' })).toBeVisible();
    await page.keyboard.type('ra');
    await expectAccessible(page, 'the quick switcher');
    await page.screenshot({ path: `.test-output/screenshots/quick-switcher-${theme}.png` });
    await page.keyboard.press('Escape');

    // Direct messages and the phone layout with its drawer open.
    await page.goto('/channels/@me');
    await expect(page.getByRole('navigation', { name: 'Direct messages' })).toBeVisible();
    await expectAccessible(page, 'the DM home');
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`/channels/${guildId}/${generalId}`);
    await expect(log.getByRole('article')).toHaveCount(4);
    await page.screenshot({ path: `.test-output/screenshots/channel-phone-${theme}.png` });
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await expect(page.getByRole('navigation', { name: 'Channels' })).toBeInViewport();
    await expectAccessible(page, 'the phone layout with the drawer open');
    await page.keyboard.press('Escape');
    await expect(page.getByRole('button', { name: 'Close navigation' })).toBeHidden();
  });
}
