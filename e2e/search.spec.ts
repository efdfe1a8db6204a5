import { expect, serverWith, test } from './people';

test('search a server with filters, page through results, and jump to an old message in context', async ({ newPerson }) => {
  // 120 messages to set up first.
  test.slow();
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  const { guildId, generalId, channels } = await serverWith(ada, [grace], 'Search Lab', ['random']);

  // 120 messages in #general: Grace's needle early on, far above the first page loaded.
  for (let i = 0; i < 120; i++) {
    if (i === 10) await grace.api.post(`/channels/${generalId}/messages`, { content: 'Found the Needle in the haystack' });
    else if (i === 100) await ada.api.post(`/channels/${generalId}/messages`, { content: 'another needle, newer' });
    else await ada.api.post(`/channels/${generalId}/messages`, { content: `filler message ${i}` });
  }
  await ada.api.post(`/channels/${channels.random}/messages`, { content: 'a needle in random' });

  const page = ada.page;
  await page.goto(`/channels/${guildId}/${generalId}`);
  await expect(page.getByTestId('message').last()).toContainText('filler message 119');
  await expect(page.getByTestId('message').filter({ hasText: 'Found the Needle' })).toHaveCount(0);

  // A typed filter becomes a chip; the searched word is marked in the result.
  const box = page.getByRole('searchbox', { name: 'Search this server' });
  await box.fill(`needle from:${grace.username}`);
  await box.press('Enter');
  const panel = page.getByTestId('search-panel');
  await expect(panel.getByRole('heading', { name: '1 result' })).toBeVisible();
  await expect(panel.getByTestId('search-chip')).toHaveText(/From: Grace/);
  await expect(box).toHaveValue('needle');
  await expect(panel.getByTestId('search-result').locator('mark')).toHaveText('Needle');

  // Removing the chip widens it; the form narrows it to one channel.
  await panel.getByRole('button', { name: 'Remove filter From: Grace' }).click();
  await expect(panel.getByRole('heading', { name: '3 results' })).toBeVisible();
  await panel.getByRole('button', { name: 'Filters' }).click();
  await panel.getByLabel('In', { exact: true }).selectOption({ label: '#general' });
  await expect(panel.getByRole('heading', { name: '2 results' })).toBeVisible();
  await expect(panel.getByTestId('search-result')).toHaveCount(2);
  await expect(panel.getByTestId('search-result').first()).toContainText('#general');
  await expect(panel.getByTestId('search-result').first()).toContainText('another needle');

  // The old message opens in its place in the history, highlighted, with newer ones below.
  await panel.getByTestId('search-result').filter({ hasText: 'Found the Needle' }).click();
  const target = page.getByTestId('message').filter({ hasText: 'Found the Needle' });
  await expect(target).toBeInViewport();
  await expect(target).toHaveClass(/highlighted/);
  await expect(page).toHaveURL(new RegExp(`/channels/${guildId}/${generalId}$`));
  await expect(page.getByTestId('jump-to-present')).toBeVisible();
  await expect(panel).toBeVisible();

  // Paging: many fillers (still in #general only), 25 a page.
  await box.fill('filler');
  await box.press('Enter');
  await expect(panel.getByRole('heading', { name: '118 results' })).toBeVisible();
  await expect(panel.getByText('1–25 of 118')).toBeVisible();
  await panel.getByRole('button', { name: 'Next' }).click();
  await expect(panel.getByText('26–50 of 118')).toBeVisible();
  await expect(panel.getByTestId('search-result').first()).toContainText('filler message 93');

  // A result in another channel opens that channel at the message.
  await box.fill('needle in:random');
  await box.press('Enter');
  await expect(panel.getByTestId('search-chip')).toHaveText(/In: #random/);
  await panel.getByTestId('search-result').filter({ hasText: 'a needle in random' }).click();
  await expect(page).toHaveURL(`/channels/${guildId}/${channels.random}`);
  await expect(page.getByTestId('message').filter({ hasText: 'a needle in random' })).toHaveClass(/highlighted/);

  // A typo in a typed filter says what to fix; Escape (from anywhere) closes the panel.
  await box.fill('needle from:nobody_here');
  await box.press('Enter');
  await expect(panel.getByRole('alert')).toContainText('No one called “nobody_here” is here');
  await page.getByTestId('composer').focus();
  await page.keyboard.press('Escape');
  await expect(panel).toBeHidden();
  await expect(page.getByRole('complementary', { name: 'Members' })).toBeVisible();
});

test('search in a direct message, on a phone', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const grace = await newPerson('Grace');
  await serverWith(ada, [grace], 'Friends');
  const dm = await ada.api.post<{ id: string }>('/users/@me/channels', { recipient_id: grace.id });
  await ada.api.post(`/channels/${dm.id}/messages`, { content: 'the secret recipe is pancakes' });
  await ada.api.post(`/channels/${dm.id}/messages`, { content: 'unrelated chatter' });

  await ada.page.setViewportSize({ width: 375, height: 740 });
  await ada.page.goto(`/channels/@me/${dm.id}`);
  const box = ada.page.getByRole('searchbox', { name: 'Search this conversation' });
  await box.fill('recipe');
  await box.press('Enter');
  // On a phone the results cover the conversation, and step aside when one is chosen.
  const panel = ada.page.getByTestId('search-panel');
  await expect(panel).toBeInViewport({ ratio: 0.9 });
  const results = ada.page.getByTestId('search-result');
  await expect(results).toHaveCount(1);
  await expect(results.locator('mark')).toHaveText('recipe');
  await results.click();
  await expect(panel).toBeHidden();
  const message = ada.page.getByTestId('message').filter({ hasText: 'secret recipe' });
  await expect(message).toHaveClass(/highlighted/);
  await expect(message).toBeInViewport();
});

test('at narrow widths the search panel keeps its Filters button inside its header', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const { guildId, generalId } = await serverWith(ada, [], 'Narrow Lab');
  await ada.api.post(`/channels/${generalId}/messages`, { content: 'a narrow needle' });
  const page = ada.page;
  await page.goto(`/channels/${guildId}/${generalId}`);

  /** The button's box lies within its header's, and its label within the button. */
  async function expectFiltersInside() {
    const button = page.getByTestId('search-filters-button');
    await expect(button).toBeVisible();
    const [inner, outer] = await Promise.all([button.boundingBox(), page.getByTestId('search-panel').locator('header').boundingBox()]);
    expect(inner!.x).toBeGreaterThanOrEqual(outer!.x);
    expect(inner!.x + inner!.width).toBeLessThanOrEqual(outer!.x + outer!.width + 0.5);
    expect(inner!.y).toBeGreaterThanOrEqual(outer!.y);
    expect(inner!.y + inner!.height).toBeLessThanOrEqual(outer!.y + outer!.height + 0.5);
    expect(await button.evaluate((b) => b.scrollWidth <= b.clientWidth)).toBe(true);
  }

  for (const width of [820, 375]) {
    await page.setViewportSize({ width, height: 740 });
    const box = page.getByRole('searchbox', { name: 'Search this server' });
    await box.fill('needle');
    await box.press('Enter');
    await expect(page.getByTestId('search-panel').getByRole('heading', { name: '1 result' })).toBeVisible();
    await expectFiltersInside();
    // The filters it opens fit the panel too.
    await page.getByTestId('search-filters-button').click();
    const panelBox = (await page.getByTestId('search-panel').boundingBox())!;
    const fieldsBox = (await page.locator('#search-filters').boundingBox())!;
    expect(fieldsBox.x + fieldsBox.width).toBeLessThanOrEqual(panelBox.x + panelBox.width + 0.5);
    await page.getByTestId('search-filters-button').click();
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('search-panel')).toBeHidden();
  }
});
