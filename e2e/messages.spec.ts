import type { Browser, Locator, Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { signUpViaUi } from './helpers';
import { seedMessages } from './seed';

/**
 * The message list in depth, with two people in separate browser contexts: files (image
 * previews, the lightbox, drag-and-drop, paste, progress and cancel), reactions and who
 * reacted, threads, pins, and a 10,000-message channel that scrolls without moving.
 */

async function person(browser: Browser, displayName: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUpViaUi(page, { displayName });
  return page;
}

async function createServer(page: Page, name: string): Promise<{ guildId: string; channelId: string }> {
  await page.getByRole('button', { name: 'Add a server' }).click();
  await page.getByLabel('Server name').fill(name);
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByTestId('channel-title')).toHaveText('general');
  const [, guildId, channelId] = /\/channels\/(\d+)\/(\d+)/.exec(page.url())!;
  return { guildId: guildId!, channelId: channelId! };
}

/** Ada's server with Grace in it, both looking at #general. */
async function adaAndGrace(browser: Browser): Promise<{ ada: Page; grace: Page }> {
  const ada = await person(browser, 'Ada');
  const grace = await person(browser, 'Grace');
  await createServer(ada, 'Analytical Engine');
  await ada.getByRole('button', { name: /server menu/ }).click();
  await ada.getByRole('menuitem', { name: 'Invite people' }).click();
  const link = ada.getByTestId('invite-link');
  await expect(link).toHaveValue(/\/invite\/[A-Za-z0-9]+$/);
  const inviteUrl = await link.inputValue();
  await ada.keyboard.press('Escape');
  await grace.goto(inviteUrl);
  await grace.getByRole('button', { name: /^Join/ }).click();
  await expect(grace.getByTestId('channel-title')).toHaveText('general');
  return { ada, grace };
}

/** The channel's own composer and messages (a thread panel has its own). */
const conversation = (page: Page) => page.locator('section.conversation');

async function say(page: Page, text: string): Promise<void> {
  await conversation(page).getByTestId('composer').fill(text);
  await conversation(page).getByTestId('composer').press('Enter');
  await expect(conversation(page).getByTestId('message').filter({ hasText: text })).toBeVisible();
}

/** Opens a message's action bar and clicks one of its buttons. */
async function act(message: Locator, action: string): Promise<void> {
  await message.hover();
  await message.getByRole('button', { name: action, exact: true }).click();
}

/** A PNG drawn by the browser itself: a gradient of the given size. */
async function png(page: Page, width: number, height: number): Promise<Buffer> {
  const base64 = await page.evaluate(
    ([w, h]) => {
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const context = canvas.getContext('2d')!;
      const gradient = context.createLinearGradient(0, 0, w, h);
      gradient.addColorStop(0, '#4338ca');
      gradient.addColorStop(1, '#f0b232');
      context.fillStyle = gradient;
      context.fillRect(0, 0, w, h);
      return canvas.toDataURL('image/png').split(',')[1]!;
    },
    [width, height] as const,
  );
  return Buffer.from(base64, 'base64');
}

test('images and files: preview before sending, thumbnail and lightbox on the other side, drag-and-drop and paste', async ({ browser }) => {
  const { ada, grace } = await adaAndGrace(browser);
  const image = await png(ada, 800, 600);

  // Ada attaches two images with the button: both wait in the tray, one is removed again.
  await conversation(ada)
    .getByTestId('file-input')
    .setInputFiles([
      { name: 'engine.png', mimeType: 'image/png', buffer: image },
      { name: 'spare.png', mimeType: 'image/png', buffer: image },
    ]);
  const tray = ada.getByTestId('attachment-tray');
  await expect(tray.getByRole('listitem')).toHaveCount(2);
  await tray.getByRole('button', { name: 'Remove spare.png' }).click();
  await expect(tray.getByRole('listitem')).toHaveCount(1);
  await conversation(ada).getByTestId('composer').fill('The difference engine');
  await conversation(ada).getByTestId('composer').press('Enter');
  await expect(tray).toHaveCount(0);

  // Grace sees the thumbnail, its space reserved at the image's shape (400 × 300 for 800 × 600).
  const shared = grace.getByTestId('message').filter({ hasText: 'The difference engine' });
  const thumbnail = shared.getByTestId('attachment-image').locator('img');
  await expect(thumbnail).toHaveAttribute('src', /thumbnail=1/);
  await expect(thumbnail).toHaveAttribute('width', '400');
  await expect(thumbnail).toHaveAttribute('height', '300');
  await expect.poll(() => thumbnail.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);

  // The lightbox shows the full image; Escape closes it and focus returns to the thumbnail.
  await shared.getByTestId('attachment-image').click();
  const lightbox = grace.getByTestId('lightbox');
  await expect(lightbox.getByRole('heading', { name: 'engine.png' })).toBeVisible();
  await expect(lightbox.locator('img')).toHaveAttribute('src', /engine\.png\?(?!.*thumbnail)/);
  await expect(lightbox).toContainText('800 × 600');
  await grace.keyboard.press('Escape');
  await expect(lightbox).toHaveCount(0);
  await expect(shared.getByTestId('attachment-image')).toBeFocused();

  // Grace drops a text file on the channel: it becomes a download card for Ada.
  const dropped = await grace.evaluateHandle(() => {
    const data = new DataTransfer();
    data.items.add(new File(['milk, eggs'], 'shopping.txt', { type: 'text/plain' }));
    return data;
  });
  await conversation(grace).locator('.drop-zone').dispatchEvent('dragenter', { dataTransfer: dropped });
  await expect(grace.getByTestId('drop-overlay')).toBeVisible();
  await conversation(grace).locator('.drop-zone').dispatchEvent('drop', { dataTransfer: dropped });
  await expect(grace.getByTestId('drop-overlay')).toHaveCount(0);
  await expect(grace.getByTestId('attachment-tray')).toContainText('shopping.txt');
  await conversation(grace).getByTestId('composer').press('Enter');
  const card = ada.getByTestId('attachment-file').filter({ hasText: 'shopping.txt' });
  await expect(card).toContainText('10 bytes');
  await expect(card).toHaveAttribute('download', '');

  // Ada pastes a screenshot into the composer: it joins the message as an image.
  await conversation(ada).getByTestId('composer').focus();
  await ada.evaluate(
    async (bytes) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], 'screenshot.png', { type: 'image/png' }));
      document.activeElement!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    },
    [...(await png(ada, 120, 80))],
  );
  await expect(ada.getByTestId('attachment-tray')).toContainText('screenshot.png');
  await conversation(ada).getByTestId('composer').press('Enter');
  await expect(grace.getByTestId('attachment-image').filter({ has: grace.locator('img[alt="screenshot.png"]') })).toBeVisible();
});

test('an upload shows its progress and can be cancelled, then retried', async ({ browser }) => {
  const { ada, grace } = await adaAndGrace(browser);
  await say(grace, 'Ready for the file');

  // A file over the instance's limit (25 MB by default) is refused before anything is sent.
  // (Made in the page: sending 26 MB through the test driver would take longer than the check.)
  await conversation(ada)
    .getByTestId('file-input')
    .evaluate((input: HTMLInputElement) => {
      const data = new DataTransfer();
      data.items.add(new File([new ArrayBuffer(26 * 1024 * 1024)], 'movie.mkv', { type: 'video/x-matroska' }));
      input.files = data.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
  await expect(conversation(ada).getByRole('alert')).toHaveText('movie.mkv is 26 MB; files can be at most 25 MB.');
  await expect(ada.getByTestId('attachment-tray')).toHaveCount(0);

  // Hold Ada's upload on its way (the file goes ahead of the message, resumably) so it can be watched and cancelled.
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await ada.route('**/api/v10/channels/*/uploads/*', async (route) => {
    if (route.request().method() !== 'PATCH') return route.continue();
    await held;
    await route.continue().catch(() => undefined);
  });
  await conversation(ada)
    .getByTestId('file-input')
    .setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(300 * 1024, 7) });
  await conversation(ada).getByTestId('composer').fill('Here it comes');
  await conversation(ada).getByTestId('composer').press('Enter');
  const pending = ada.getByTestId('pending-message');
  await expect(pending.getByTestId('upload-progress').getByRole('progressbar', { name: 'Uploading 300 KB' })).toBeVisible();
  await pending.getByRole('button', { name: 'Cancel' }).click();
  await expect(pending).toContainText('Not sent: Upload cancelled.');
  release();

  // Retried, it goes through and reaches Grace once.
  await ada.unroute('**/api/v10/channels/*/uploads/*');
  await pending.getByRole('button', { name: 'Retry' }).click();
  await expect(pending).toHaveCount(0);
  const arrived = grace.getByTestId('message').filter({ hasText: 'Here it comes' });
  await expect(arrived.getByTestId('attachment-file')).toContainText('big.bin');
  await expect(arrived).toHaveCount(1);
});

test('reactions from the picker, toggled, and who reacted', async ({ browser }) => {
  const { ada, grace } = await adaAndGrace(browser);
  await say(grace, 'We shipped it!');

  // Ada searches the picker by name.
  const onAda = ada.getByTestId('message').filter({ hasText: 'We shipped it!' });
  await act(onAda, 'Add reaction');
  const picker = ada.getByTestId('reaction-picker');
  await picker.getByRole('searchbox', { name: 'Search emoji by name' }).fill('party');
  await expect(picker.getByRole('menuitem')).toHaveCount(2);
  await picker.getByRole('menuitem', { name: 'React with 🎉' }).click();
  await expect(picker).toHaveCount(0);

  // Grace sees it, adds hers by clicking it, and sees who reacted.
  const chip = grace.getByTestId('message').filter({ hasText: 'We shipped it!' }).getByTestId('reaction');
  await expect(chip).toHaveText(/🎉\s*1/);
  await chip.click();
  await expect(chip).toHaveText(/🎉\s*2/);
  await expect(chip).toHaveAttribute('aria-pressed', 'true');
  await grace.mouse.move(0, 0);
  await chip.hover();
  await expect(grace.getByRole('tooltip')).toHaveText('Ada and Grace reacted with 🎉');

  // Grace takes hers back; Ada sees the count drop.
  await chip.click();
  await expect(onAda.getByTestId('reaction')).toHaveText(/🎉\s*1/);

  // Ada reacts from the keyboard alone: into the list, onto the message, Tab past its author
  // (a button: it opens their profile card) to its reactions and actions.
  await ada.getByTestId('message-scroller').focus();
  await ada.keyboard.press('ArrowUp');
  await expect(onAda).toBeFocused();
  await ada.keyboard.press('Tab');
  await expect(onAda.getByTestId('message-author')).toBeFocused();
  await ada.keyboard.press('Tab');
  await expect(onAda.getByTestId('reaction')).toBeFocused();
  await ada.keyboard.press('Tab');
  await ada.keyboard.press('Tab');
  await expect(onAda.getByRole('button', { name: 'Add reaction', exact: true })).toBeFocused();
  await ada.keyboard.press('Enter');
  await ada.keyboard.type('fire');
  await ada.keyboard.press('Enter');
  await expect(grace.getByTestId('message').filter({ hasText: 'We shipped it!' }).getByTestId('reaction').nth(1)).toHaveText(/🔥\s*1/);
});

test('a thread in the side panel: started from a message, followed live by both', async ({ browser }) => {
  const { ada, grace } = await adaAndGrace(browser);
  await say(grace, 'Shall we plan the launch?');

  // Ada starts a thread from Grace's message and writes in it.
  await act(ada.getByTestId('message').filter({ hasText: 'Shall we plan the launch?' }), 'Create thread');
  const dialog = ada.getByRole('dialog', { name: 'Create thread' });
  await expect(dialog.getByLabel('Thread name')).toHaveValue('Shall we plan the launch?');
  await dialog.getByLabel('Thread name').fill('Launch plan');
  await dialog.getByRole('button', { name: 'Create thread' }).click();
  const adaThread = ada.getByTestId('thread-panel');
  await expect(ada.getByRole('complementary', { name: 'Launch plan' })).toBeVisible();
  await adaThread.getByTestId('composer').fill('Monday at nine');
  await adaThread.getByTestId('composer').press('Enter');
  await expect(adaThread.getByTestId('message').filter({ hasText: 'Monday at nine' })).toBeVisible();

  // Grace sees the thread on her message, with its count, and opens it.
  const link = grace.getByTestId('message').filter({ hasText: 'Shall we plan the launch?' }).getByTestId('thread-link');
  await expect(link).toContainText('Launch plan');
  await expect(link).toContainText('1 message');
  await link.click();
  const graceThread = grace.getByTestId('thread-panel');
  await expect(graceThread.getByTestId('message').filter({ hasText: 'Monday at nine' })).toBeVisible();
  await graceThread.getByTestId('composer').fill('Works for me');
  await graceThread.getByTestId('composer').press('Enter');

  // Ada sees the answer live in the panel; the channel itself stays free of thread talk.
  await expect(adaThread.getByTestId('message').filter({ hasText: 'Works for me' })).toBeVisible();
  await expect(conversation(ada).getByTestId('message').filter({ hasText: 'Works for me' })).toHaveCount(0);
  await expect(ada.getByTestId('message').filter({ hasText: 'Shall we plan the launch?' }).getByTestId('thread-link')).toContainText('2 messages');

  // The threads list finds it again after the panel is closed with Escape.
  await adaThread.getByTestId('composer').press('Escape');
  await expect(adaThread).toHaveCount(0);
  await ada.getByRole('button', { name: 'Threads' }).click();
  await ada
    .getByTestId('threads-list')
    .getByRole('button', { name: /Launch plan/ })
    .click();
  await expect(ada.getByTestId('thread-panel').getByTestId('message').filter({ hasText: 'Works for me' })).toBeVisible();
});

test('pins: only those allowed may pin; everyone sees the pins panel and jumps to the message', async ({ browser }) => {
  const { ada, grace } = await adaAndGrace(browser);
  await say(ada, 'Meeting notes live here');
  await say(ada, 'Something else');

  // Grace may not pin in Ada's server (members lack Pin Messages by default); Ada, the owner, may.
  const onGrace = grace.getByTestId('message').filter({ hasText: 'Meeting notes live here' });
  await onGrace.hover();
  await expect(onGrace.getByRole('button', { name: 'Reply' })).toBeVisible();
  await expect(onGrace.getByRole('button', { name: 'Pin', exact: true })).toHaveCount(0);
  await act(ada.getByTestId('message').filter({ hasText: 'Meeting notes live here' }), 'Pin');

  // Grace opens the pins panel (it updates live) and jumps to the message.
  await grace.getByRole('button', { name: 'Pinned messages' }).click();
  const pinned = grace.getByTestId('pins-panel').getByTestId('pinned-message');
  await expect(pinned).toHaveText(/Meeting notes live here/);
  await pinned.getByRole('button', { name: 'Jump to message' }).click();
  await expect(onGrace).toBeFocused();

  // Ada unpins it: it leaves Grace's panel.
  await act(ada.getByTestId('message').filter({ hasText: 'Meeting notes live here' }), 'Unpin');
  await expect(grace.getByTestId('pins-panel')).toContainText('Nothing is pinned here yet.');
});

test('a 10,000-message channel: bounded DOM, and the message being read stays put as older pages load', async ({ browser }) => {
  const ada = await person(browser, 'Ada');
  const { guildId, channelId } = await createServer(ada, 'Archive');
  const me = await ada.evaluate(() => fetch('/api/v10/users/@me', { headers: { authorization: localStorage.getItem('parley.token')! } }).then((r) => r.json() as Promise<{ id: string }>));
  // Eight minutes apart: each message has its own header, and day separators come every ~180.
  const ids = seedMessages({ guildId, channelId, authorId: me.id, count: 10_000, spacingMs: 8 * 60_000 });
  await ada.reload();
  const scroller = ada.getByTestId('message-scroller');
  await expect(scroller.getByText('Message 10000', { exact: true })).toBeVisible();
  await expect(scroller.getByTestId('message').last()).toContainText('Message 10000');

  const messagesInPage = () => ada.locator('[data-testid="message"]').count();
  /** The message in the middle of the list (or just below, when a day separator sits there), and where it is on screen. */
  const readingPoint = () =>
    scroller.evaluate((el) => {
      const box = el.getBoundingClientRect();
      for (let dy = 0; dy < box.height / 2; dy += 20) {
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2 + dy)?.closest<HTMLElement>('[data-message-id]');
        if (hit) return { id: hit.dataset.messageId!, top: hit.getBoundingClientRect().top };
      }
      return null;
    });
  const topOf = (id: string) => ada.locator(`[data-message-id="${id}"]`).evaluate((el) => el.getBoundingClientRect().top);
  const firstRendered = () => scroller.evaluate((el) => Number(/Message (\d+)/.exec(el.querySelector('[data-testid="message"]')?.textContent ?? '')?.[1]));

  for (let page = 0; page < 6; page++) {
    await expect(scroller).toHaveAttribute('aria-busy', 'false');
    // Hold the next older page until the reader's position is noted.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    await ada.route('**/messages?*before=*', async (route) => {
      await gate;
      await route.continue();
    });
    const asked = ada.waitForRequest(/\/messages\?.*before=/);
    await scroller.evaluate((el) => el.scrollBy(0, -el.scrollTop + 200));
    await asked;
    await expect(scroller).toHaveAttribute('aria-busy', 'true');
    const before = await readingPoint();
    expect(before).not.toBeNull();
    const heightBefore = await scroller.evaluate((el) => el.scrollHeight);
    release();
    await expect(scroller).toHaveAttribute('aria-busy', 'false');
    await expect.poll(() => scroller.evaluate((el) => el.scrollHeight)).toBeGreaterThan(heightBefore);
    await ada.unroute('**/messages?*before=*');
    // Two frames for the measuring and anchoring to settle, then the same message, same place.
    await ada.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    expect(Math.abs((await topOf(before!.id)) - before!.top)).toBeLessThanOrEqual(1);
    expect(await messagesInPage()).toBeLessThan(150);
  }
  expect(await firstRendered()).toBeLessThan(9800);

  // A pin far back in history: jumping to it loads the messages around it and shows it in context.
  const pinned = ids[4999]!;
  await ada.evaluate(([channel, message]) => fetch(`/api/v10/channels/${channel}/pins/${message}`, { method: 'PUT', headers: { authorization: localStorage.getItem('parley.token')! } }), [
    channelId,
    pinned,
  ] as const);
  await ada.getByRole('button', { name: 'Pinned messages' }).click();
  await ada.getByTestId('pinned-message').getByRole('button', { name: 'Jump to message' }).click();
  const target = ada.locator(`[data-message-id="${pinned}"]`);
  await expect(target).toBeFocused();
  await expect(target).toBeInViewport();
  await expect(target).toContainText('Message 5000');
  expect(await messagesInPage()).toBeLessThan(150);

  // Jumping to the present comes back to the newest message.
  await ada.getByTestId('jump-to-present').click();
  await expect(scroller.getByTestId('message').last()).toContainText('Message 10000');
  await expect(scroller.getByTestId('message').last()).toBeInViewport();
});
