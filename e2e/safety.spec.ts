import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, test } from './people';

/**
 * Marks accounts behind the API's back, in the e2e server's SQLite file, as an admin provisioning
 * students would (the admin portal's own journeys cover doing it through its screens).
 */
function mark(column: 'minor' | 'admin', ...userIds: string[]): void {
  const db = new Database(path.resolve('.test-output/e2e-data/parley.db'));
  db.pragma('busy_timeout = 10000');
  for (const id of userIds) db.prepare(`update users set ${column} = 1 where id = ?`).run(BigInt(id));
  db.close();
}

const HARASSING = 'you are a worthless idiot, nobody likes you, go kill yourself';

test('a harassing DM to a minor is held, the sender is blocked and appeals, and a second admin lifts the block', async ({ newPerson }) => {
  // Four people in four browsers, two of them admins.
  test.slow();
  const mia = await newPerson('Mia');
  const sam = await newPerson('Sam');
  const ada = await newPerson('Ada');
  const bob = await newPerson('Bob');
  mark('minor', mia.id);
  mark('admin', ada.id, bob.id);

  // Sam writes to Mia (a minor): the instance scans conversations with minors by default.
  const dm = await sam.api.post<{ id: string }>('/users/@me/channels', { recipient_id: mia.id });
  await mia.page.goto(`/channels/@me/${dm.id}`);
  await sam.page.goto(`/channels/@me/${dm.id}`);
  await sam.page.getByTestId('composer').fill(HARASSING);
  await sam.page.getByTestId('composer').press('Enter');

  // Sam is told at once: the message is flagged, and he is blocked from messaging Mia, why, and how to appeal.
  await expect(sam.page.getByTestId('message-flagged')).toContainText('harassment');
  await expect(sam.page.getByTestId('safety-reason')).toContainText('You are blocked from messaging this person until an administrator reviews');
  await expect(sam.page.getByTestId('safety-reason')).toContainText('harassment');
  await expect(sam.page.getByTestId('composer')).toBeDisabled();

  // Mia sees it held for review, live and after a reload, never its words.
  await expect(mia.page.getByTestId('message-held')).toBeVisible();
  await mia.page.reload();
  await expect(mia.page.getByTestId('message-held')).toBeVisible();
  await expect(mia.page.getByText('worthless')).toHaveCount(0);

  // Sam appeals from the notice.
  await sam.page.getByTestId('safety-appeal-open').click();
  await sam.page.getByTestId('safety-appeal-text').fill('I was quoting the villain from the play we rehearse; I apologise to Mia.');
  await sam.page.getByTestId('safety-appeal-send').click();
  await expect(sam.page.getByTestId('safety-appeal-status')).toContainText('Your appeal was sent');

  // Ada reviewed the block and confirmed it: she may not decide its appeal.
  const [block] = await sam.api.get<{ id: string }[]>('/safety/blocks/mine');
  await ada.api.post(`/admin/safety/blocks/${block!.id}/confirm`, { note: 'Reviewed: clearly harassing out of context.' });
  await ada.page.goto('/admin/appeals');
  const adaAppeal = ada.page.getByTestId('appeal').filter({ hasText: 'quoting the villain' });
  await expect(adaAppeal.getByTestId('appeal-message')).toHaveText(HARASSING);
  await expect(adaAppeal.getByTestId('appeal-recused')).toBeVisible();
  await expect(adaAppeal.getByTestId('appeal-lift')).toHaveCount(0);

  // Bob, a second admin, lifts it with a note.
  await bob.page.goto('/admin/appeals');
  const bobAppeal = bob.page.getByTestId('appeal').filter({ hasText: 'quoting the villain' });
  await bobAppeal.getByTestId('appeal-note').fill('Context shows a rehearsal quote. Lifted; please keep lines in the play channel.');
  await bobAppeal.getByTestId('appeal-lift').click();
  await expect(bobAppeal.getByTestId('appeal-decision')).toContainText('Lifted');

  // Sam reads the decision and can write again; Mia now receives the message itself.
  await expect(sam.page.getByTestId('safety-decision')).toContainText('Block lifted');
  await expect(sam.page.getByTestId('safety-decision')).toContainText('rehearsal quote');
  await expect(sam.page.getByTestId('composer')).toBeEnabled();
  await expect(mia.page.getByTestId('message-text').filter({ hasText: 'worthless idiot' })).toBeVisible();
  await expect(mia.page.getByTestId('message-held')).toHaveCount(0);
  await sam.page.getByTestId('composer').fill('Sorry Mia, that line was from the play.');
  await sam.page.getByTestId('composer').press('Enter');
  await expect(mia.page.getByTestId('message-text').filter({ hasText: 'from the play' })).toBeVisible();

  // The admins can test the filter themselves.
  await bob.page.goto('/admin/safety');
  await bob.page.getByTestId('safety-filter-text').fill('this exam is killing me');
  await bob.page.getByTestId('safety-filter-test').click();
  await expect(bob.page.getByTestId('safety-filter-result')).toContainText('Not flagged');
  await bob.page.getByTestId('safety-filter-text').fill('I know where you live and I will stab you');
  await bob.page.getByTestId('safety-filter-test').click();
  await expect(bob.page.getByTestId('safety-filter-result')).toContainText('Flagged');
});
