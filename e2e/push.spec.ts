import type { Page } from '@playwright/test';
import { FakePushService, type TestSubscription } from '../packages/server/src/testing/push-service';
import { expect, test } from './fixtures';
import { createServer, inviteLink, join, person, userIdOf } from './servers';

/** What the test uses of the service worker's global scope (e2e is typed with the DOM library only). */
interface WorkerScope {
  registration: ServiceWorkerRegistration;
  dispatchEvent(event: Event): boolean;
}
declare const NotificationEvent: new (type: 'notificationclick', init: { notification: Notification }) => Event;

// The other journeys block service workers (playwright.config.ts): here the worker receives the push.
test.use({ serviceWorkers: 'allow' });

let service: FakePushService;
test.beforeAll(async () => {
  service = await new FakePushService().start();
});
test.afterAll(async () => {
  await service.close();
});

/**
 * Headless Chromium has no push service to subscribe with here: PushManager hands out a
 * subscription whose endpoint is this test's push service and whose keys the test holds (the
 * server encrypts to them, the test decrypts). Everything else is the real thing.
 */
type Stubbed = Pick<TestSubscription, 'endpoint' | 'keys'>;
function stubPushManager() {
  return ({ endpoint, keys }: Stubbed) => {
    const bytes = (base64url: string) => Uint8Array.from(atob(base64url.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)).buffer;
    let current: PushSubscription | null = null;
    const make = () =>
      ({
        endpoint,
        expirationTime: null,
        options: { userVisibleOnly: true, applicationServerKey: null },
        getKey: (name: PushEncryptionKeyName) => bytes(name === 'p256dh' ? keys.p256dh : keys.auth),
        toJSON: () => ({ endpoint, expirationTime: null, keys: { ...keys } }),
        unsubscribe: async () => {
          current = null;
          return true;
        },
      }) as unknown as PushSubscription;
    PushManager.prototype.subscribe = async () => (current = make());
    PushManager.prototype.getSubscription = async () => current;
  };
}

async function apiAs(page: Page, method: string, path: string, body?: unknown): Promise<unknown> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const response = await fetch(`/api/v10${path}`, {
        method,
        headers: { Authorization: localStorage.getItem('parley.token') ?? '', 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return response.status === 204 ? null : response.json();
    },
    { method, path, body },
  );
}

test('push with the tab closed: turned on in settings, a mention reaches the service worker as a notification, and clicking it opens the message', async ({ browser, baseURL }) => {
  const subscription = service.subscription('ada');
  const ada = await person(browser, 'Ada', {}, async (context) => {
    await context.grantPermissions(['notifications']);
    await context.addInitScript(stubPushManager(), { endpoint: subscription.endpoint, keys: subscription.keys });
  });
  const context = ada.context();
  // The worker that the production build registers on load.
  await ada.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  const adaId = await userIdOf(ada);
  const guildId = await createServer(ada, 'Observatory');
  const channelId = /\/channels\/\d+\/(\d+)/.exec(ada.url())![1]!;
  const grace = await person(browser, 'Grace');
  await join(grace, await inviteLink(ada));

  // Ada agrees: push on for this device, with the text shown.
  await ada.goto('/settings/notifications');
  const toggle = ada.getByRole('checkbox', { name: 'Send push notifications to this device' });
  await expect(toggle).toBeEnabled();
  await toggle.check();
  await expect(ada.getByTestId('push-status')).toHaveText('Push notifications are on for this device.');
  await ada.getByRole('checkbox', { name: /Show the message text/ }).check();
  await expect.poll(() => apiAs(ada, 'GET', '/users/@me/push-subscription')).toMatchObject({ subscription: { endpoint: subscription.endpoint, previews: true } });

  // She closes Parley; a blank tab keeps the browser (and her service worker) around.
  const blank = await context.newPage();
  await ada.close();
  // Her gateway connection closed with the tab: nothing of hers is live on the server now.
  await new Promise((resolve) => setTimeout(resolve, 500));

  const sent = (await apiAs(grace, 'POST', `/channels/${channelId}/messages`, { content: `<@${adaId}> the comet is visible tonight` })) as { id: string };
  await expect.poll(() => service.to(subscription.endpoint).length, { message: 'a push reached the push service' }).toBe(1);
  const payloadText = subscription.decrypt(service.to(subscription.endpoint)[0]!.body);
  const payload = JSON.parse(payloadText) as { title: string; body: string; url: string };
  expect(payload).toMatchObject({ body: '@Ada the comet is visible tonight', url: `/channels/${guildId}/${channelId}?message=${sent.id}` });
  expect(payload.title).toContain('Grace');

  // The push service hands it to the browser: DevTools' way of delivering a push to the worker.
  const cdp = await context.newCDPSession(blank);
  const registrations: { registrationId: string; scopeURL: string }[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event) => registrations.push(...event.registrations));
  await cdp.send('ServiceWorker.enable');
  await expect.poll(() => registrations.some((r) => r.scopeURL.startsWith(baseURL!))).toBe(true);
  const registrationId = registrations.find((r) => r.scopeURL.startsWith(baseURL!))!.registrationId;
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: new URL(baseURL!).origin, registrationId, data: payloadText });

  // The worker showed it, with no Parley tab open.
  const worker = context.serviceWorkers().find((w) => w.url().startsWith(baseURL!)) ?? (await context.waitForEvent('serviceworker'));
  const notifications = () =>
    worker.evaluate(() => (self as unknown as WorkerScope).registration.getNotifications().then((list) => list.map((n) => ({ title: n.title, body: n.body, data: n.data as { url: string } }))));
  await expect.poll(notifications).toEqual([{ title: payload.title, body: payload.body, data: { url: payload.url, kind: 'message' } }]);
  expect(context.pages().map((p) => p.url())).toEqual(['about:blank']);

  // Later she opens Parley elsewhere and clicks the notification: that tab comes forward on the message.
  const again = await context.newPage();
  await again.goto('/channels/@me');
  await expect(again.locator('[data-gateway="ready"]')).toBeVisible();
  await worker.evaluate(async () => {
    const scope = self as unknown as WorkerScope;
    const [notification] = await scope.registration.getNotifications();
    scope.dispatchEvent(new NotificationEvent('notificationclick', { notification: notification! }));
  });
  await expect(again).toHaveURL(new RegExp(`/channels/${guildId}/${channelId}`));
  await expect(again.getByText('the comet is visible tonight')).toBeVisible();
  await expect.poll(notifications).toEqual([]);
  await blank.close();
});
