import { expectAccessible } from './axe';
import { expect, serverWith, test } from './people';

/**
 * Reports: a student reports a message from its actions; a moderator sees it arrive in the
 * review queue, reads it in context, deletes it and times the author out, each with a reason;
 * the student sees, live, that it was handled (and nothing about by whom or how).
 */

const Bits = { MANAGE_MESSAGES: 1n << 13n, MODERATE_MEMBERS: 1n << 40n };

test('a student reports a message, a moderator deletes it and times the author out from the queue, the student sees it handled', async ({ newPerson }) => {
  test.slow();
  const ada = await newPerson('Ada');
  const mo = await newPerson('Mo');
  const sam = await newPerson('Sam');
  const tom = await newPerson('Tom');
  const { guildId, generalId } = await serverWith(ada, [mo, sam, tom], 'Class 7B');
  const mods = await ada.api.post<{ id: string }>(`/guilds/${guildId}/roles`, { name: 'Teachers', permissions: String(Bits.MANAGE_MESSAGES | Bits.MODERATE_MEMBERS) });
  await ada.api.put(`/guilds/${guildId}/members/${mo.id}/roles/${mods.id}`);
  await sam.api.post(`/channels/${generalId}/messages`, { content: 'Anyone done the homework?' });
  await tom.api.post(`/channels/${generalId}/messages`, { content: 'nobody likes you, loser' });
  await sam.api.post(`/channels/${generalId}/messages`, { content: 'that is mean' });

  // The moderator has the queue open: the report arrives live.
  await mo.page.goto('/channels/@me');
  await mo.page.getByTestId('reports-link').click();
  await expect(mo.page.getByRole('heading', { name: 'Review queue' })).toBeVisible();
  await expect(mo.page.getByTestId('queue-empty')).toBeVisible();
  await tom.page.goto(`/channels/${guildId}/${generalId}`);

  // Sam reports Tom's message from its actions.
  await sam.page.goto(`/channels/${guildId}/${generalId}`);
  const rude = sam.page.getByTestId('message').filter({ hasText: 'nobody likes you, loser' });
  await rude.hover();
  await rude.getByRole('button', { name: 'Report' }).click();
  const dialog = sam.page.getByRole('dialog', { name: 'Report message' });
  await expect(dialog.getByTestId('report-preview')).toContainText('nobody likes you, loser');
  // Nothing chosen: said next to the choices.
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await expect(dialog.getByRole('alert').first()).toHaveText('Choose what this is');
  await dialog.getByRole('radio', { name: /Harassment or bullying/ }).check();
  await dialog.getByLabel('Note (optional)').fill('He keeps doing this to me.');
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await expect(dialog.getByTestId('report-sent')).toBeVisible();
  await dialog.getByRole('link', { name: 'Your reports' }).click();
  await expect(sam.page.getByTestId('own-report-outcome')).toHaveText('Waiting for review');
  // Not a moderator: Sam has no queue.
  await expect(sam.page.getByRole('link', { name: 'Review queue' })).toHaveCount(0);

  // Mo opens it: the message among its neighbours, who is involved, no earlier reports.
  const item = mo.page.getByTestId('queue-item');
  await expect(item).toHaveCount(1);
  await expect(item).toContainText('nobody likes you, loser');
  await item.click();
  const detail = mo.page.getByTestId('report-detail');
  await expect(detail.getByTestId('report-context').locator('li')).toHaveText([/Anyone done the homework\?/, /nobody likes you, loser/, /that is mean/]);
  await expect(detail.getByTestId('report-context').locator('li.reported')).toContainText('nobody likes you, loser');
  await expect(detail.getByTestId('report-reported')).toHaveText('Tom');
  await expect(detail).toContainText('He keeps doing this to me.');
  await expect(detail.getByTestId('report-earlier-none')).toBeVisible();
  // Mo may not kick or ban: only what his role allows is offered.
  await expect(detail.getByRole('button', { name: 'Ban' })).toHaveCount(0);
  await expectAccessible(mo.page, 'the review queue with a report open');

  // Delete the message, with a reason.
  await detail.getByTestId('report-action-delete').click();
  const confirm = detail.getByTestId('report-confirm');
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  await expect(confirm.getByRole('alert').first()).toHaveText('Say why: it goes on the record');
  await confirm.getByLabel('Reason').fill('Insulting a classmate');
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  await expect(detail.getByTestId('report-status')).toContainText('resolved');
  await expect(detail.getByTestId('report-message-deleted')).toBeVisible();
  await expect(tom.page.getByTestId('message').filter({ hasText: 'nobody likes you, loser' })).toHaveCount(0);

  // The student sees it handled, live, and nothing more.
  await expect(sam.page.getByTestId('own-report-outcome')).toHaveText('Handled: action taken');
  await expect(sam.page.getByTestId('own-report')).not.toContainText('Mo');

  // Then time Tom out for an hour.
  await detail.getByTestId('report-action-timeout').click();
  await confirm.getByRole('radio', { name: '1 hour' }).check();
  await confirm.getByLabel('Reason').fill('Cool off');
  await confirm.getByRole('button', { name: 'Confirm' }).click();
  await expect(detail.getByTestId('report-history').locator('li')).toHaveText([/Mo deleted the message: “Insulting a classmate”/, /Mo timed the author out: “Cool off”/]);
  await expect(tom.page.getByTestId('timeout-notice')).toContainText('You are timed out until');

  // Handled reports leave the open queue; the Resolved filter shows it.
  await mo.page.getByTestId('queue-status').selectOption('resolved');
  await expect(mo.page.getByTestId('queue-item')).toHaveCount(1);
  await mo.page.getByTestId('queue-status').selectOption('open');
  await expect(mo.page.getByTestId('queue-empty')).toBeVisible();
});

test('a person is reported from their profile card, for the instance’s admins', async ({ newPerson }) => {
  const ada = await newPerson('Ada');
  const sam = await newPerson('Sam');
  const tom = await newPerson('Tom');
  const { guildId, generalId } = await serverWith(ada, [sam, tom], 'Study group');
  await tom.api.post(`/channels/${generalId}/messages`, { content: 'hey' });
  const page = sam.page;
  await page.goto(`/channels/${guildId}/${generalId}`);
  await page.getByTestId('message').filter({ hasText: 'hey' }).getByTestId('message-author').click();
  const card = page.getByRole('dialog', { name: 'Profile of Tom' });
  await card.getByTestId('profile-report').click();
  const dialog = page.getByRole('dialog', { name: 'Report Tom' });
  await dialog.getByRole('radio', { name: /Threats/ }).check();
  await dialog.getByLabel('Note (optional)').fill('He threatened me in DMs');
  await dialog.getByRole('button', { name: 'Send report' }).click();
  await expect(dialog.getByTestId('report-sent')).toBeVisible();
  await dialog.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).toBeHidden();
  await page.getByTestId('reports-link').click();
  // Not a reviewer: the page is their own reports.
  await expect(page.getByRole('heading', { name: 'Your reports' })).toBeVisible();
  await expect(page.getByTestId('own-report')).toHaveCount(1);
  await expect(page.getByTestId('own-report')).toContainText('Threats');
  await expect(page.getByTestId('own-report-outcome')).toHaveText('Waiting for review');
});
