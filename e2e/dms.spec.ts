import { expect, test } from './people';

test('a DM from a stranger arrives as a message request, accepted before replying', async ({ newPerson }) => {
  const sender = (await newPerson('Stranger')).page;
  const rita = await newPerson('Rita');
  const recipient = rita.page;
  const ritaId = rita.id;

  // The sender finds Rita by the ID she shared and writes to her.
  await sender.getByLabel('User ID').fill(ritaId);
  await sender.getByRole('button', { name: 'Look up' }).click();
  await sender.getByTestId('found-user').getByRole('button', { name: 'Message' }).click();
  await expect(sender.getByTestId('channel-title')).toHaveText('Rita');
  await sender.getByTestId('composer').fill('Hi Rita, we met at the conference');
  await sender.getByTestId('composer').press('Enter');
  await expect(sender.getByTestId('message-text').filter({ hasText: 'conference' })).toBeVisible();

  // Rita sees a request, not a normal DM.
  await expect(recipient.getByTestId('message-requests')).toContainText('1');
  await expect(recipient.getByTestId('dm-link')).toHaveCount(0);
  await recipient.getByTestId('message-requests').click();
  await recipient.getByTestId('dm-request').click();
  await expect(recipient.getByTestId('message-text').filter({ hasText: 'conference' })).toBeVisible();
  // Before she accepts, neither sees whether the other is online.
  await expect(sender.getByTestId('dm-link').filter({ hasText: 'Rita' }).getByRole('img', { name: 'Offline' })).toBeVisible();
  await recipient.getByRole('button', { name: 'Accept' }).click();
  await expect(recipient.getByTestId('message-requests')).toHaveCount(0);
  await expect(recipient.getByTestId('dm-link')).toContainText('Stranger');
  // Accepted, they share no server but see each other online, live and after a reload.
  await expect(recipient.getByTestId('dm-link').filter({ hasText: 'Stranger' }).getByRole('img', { name: 'Online' })).toBeVisible();
  await expect(sender.getByTestId('dm-link').filter({ hasText: 'Rita' }).getByRole('img', { name: 'Online' })).toBeVisible();
  await recipient.reload();
  await expect(recipient.getByTestId('dm-link').filter({ hasText: 'Stranger' }).getByRole('img', { name: 'Online' })).toBeVisible();

  await recipient.getByTestId('composer').fill('Nice to hear from you!');
  await recipient.getByTestId('composer').press('Enter');
  await expect(sender.getByTestId('message-text').filter({ hasText: 'Nice to hear from you!' })).toBeVisible();

  // A status change reaches her; signing out shows the sender offline.
  await sender.getByRole('button', { name: /set your status/ }).click();
  await sender.getByRole('menuitem', { name: /Do not disturb/ }).click();
  await expect(recipient.getByTestId('dm-link').filter({ hasText: 'Stranger' }).getByRole('img', { name: 'Do not disturb' })).toBeVisible();
  await sender.close();
  await expect(recipient.getByTestId('dm-link').filter({ hasText: 'Stranger' }).getByRole('img', { name: 'Offline' })).toBeVisible();
});
