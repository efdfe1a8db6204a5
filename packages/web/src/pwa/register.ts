import { router } from '../router';

/**
 * Installs the service worker that keeps the app shell for offline starts (see
 * service-worker.js). Production builds only: in development Vite serves modules that change
 * on every edit, and a worker holding on to them would only get in the way.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  // A push notification clicked (service-worker.js): show the message it is about.
  navigator.serviceWorker.addEventListener('message', (event: MessageEvent<{ type?: string; path?: string }>) => {
    const path = event.data?.path;
    if (event.data?.type === 'parley:open' && typeof path === 'string' && path.startsWith('/')) void router.push(path);
  });
  window.addEventListener('load', () => {
    // Failing to register (private browsing, a blocked origin) only costs offline starts.
    navigator.serviceWorker.register('/sw.js').catch(() => undefined);
  });
}
