/*
 * Parley's service worker: keeps the app shell (index.html and every built asset) so the app
 * opens without a network, and never touches what is live or private (the API, the gateway,
 * avatars and icons, attachments). The build (vite.config.ts) fills in SHELL, the list of files
 * to keep, and VERSION; a new build is a new worker with a new cache, and the old one goes.
 *
 * Navigations go to the network first, and fall back to the kept index.html when it fails or
 * takes longer than NETWORK_TIMEOUT_MS. Serving the kept page first would be faster, but after
 * a deploy it would start a page whose lazily loaded code the new worker has just dropped.
 * Hashed assets never change, so they come from the cache first.
 */
const SHELL = self.__PARLEY_SHELL__;
const VERSION = self.__PARLEY_VERSION__;
const CACHE = `parley-shell-${VERSION}`;
const INDEX = '/index.html';
const NETWORK_TIMEOUT_MS = 4000;
/** Server paths that are never the app shell and never cached. */
const LIVE_PREFIXES = ['/api/', '/gateway', '/cdn/', '/attachments/', '/healthz', '/readyz'];

self.addEventListener('install', (event) => {
  // `reload`: straight from the server, not from the browser's HTTP cache.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((path) => new Request(path, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((name) => name.startsWith('parley-shell-') && name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin || LIVE_PREFIXES.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (request.mode === 'navigate') event.respondWith(navigation(request));
  else event.respondWith(caches.match(request, { cacheName: CACHE }).then((kept) => kept ?? fetch(request)));
});

/** The page from the network, or the kept shell when the network fails or is too slow. */
async function navigation(request) {
  const network = fetch(request);
  // Should the timeout win, a later network failure is expected, not an error.
  network.catch(() => undefined);
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_TIMEOUT_MS));
  try {
    const response = await Promise.race([network, timeout]);
    if (response) return response;
  } catch {
    // Offline: the kept shell below.
  }
  const kept = await caches.match(INDEX, { cacheName: CACHE });
  return kept ?? network;
}

/*
 * Web Push (docs/push.md): the server pushes a JSON payload (title, body, url of the message,
 * tag), encrypted to this browser's subscription; it is shown as a notification even with no
 * Parley tab open. Clicking it brings a Parley tab forward on the message (the page routes to
 * it), or opens one.
 */
self.addEventListener('push', (event) => {
  let payload = null;
  try {
    payload = event.data ? event.data.json() : null;
  } catch {
    payload = null;
  }
  const title = (payload && payload.title) || 'Parley';
  const options = {
    body: (payload && payload.body) || 'You have a new notification',
    icon: (payload && payload.icon) || '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    tag: (payload && payload.tag) || undefined,
    renotify: Boolean(payload && payload.tag),
    data: { url: (payload && typeof payload.url === 'string' && payload.url.startsWith('/') && payload.url) || '/channels/@me', kind: payload && payload.kind },
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const path = (event.notification.data && event.notification.data.url) || '/channels/@me';
  event.waitUntil(openApp(path));
});

/** Focuses a Parley tab and has it show the message, or opens a new tab there. */
async function openApp(path) {
  const url = new URL(path, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const client = windows.find((c) => c.focused) ?? windows[0];
  if (!client) return self.clients.openWindow(url);
  client.postMessage({ type: 'parley:open', path });
  // Focusing needs the click's user activation: without it (a synthetic event), the tab still routes.
  await client.focus().catch(() => undefined);
  return client;
}
