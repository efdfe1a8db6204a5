import { type SsoProviders, routes } from '@parley/protocol';
import { ssoStartUrl } from '@parley/sdk';
import { ref } from 'vue';
import { api } from '../../api';

const providers = ref<SsoProviders | null>(null);
let loading: Promise<void> | null = null;

/**
 * The instance's single sign-on providers and whether passwords are off, loaded once per page
 * load (they only change when the operator restarts the server). Null until known; a failure
 * leaves it null, so sign-in screens just show no provider buttons.
 */
export function useSsoProviders() {
  loading ??= api
    .request(routes.sso.providers)
    .then((answer) => {
      providers.value = answer;
    })
    .catch(() => {
      loading = null;
    });
  return providers;
}

/** "Continue with …": a navigation to the server, which sends the browser on to the provider. */
export function startUrl(providerId: string): string {
  return ssoStartUrl('', providerId);
}

const NEXT_KEY = 'parley.sso.next';

/** Keeps where the visitor was headed across the round trip to the provider (this tab only). */
export function rememberNext(next: unknown): void {
  if (typeof next === 'string') sessionStorage.setItem(NEXT_KEY, next);
  else sessionStorage.removeItem(NEXT_KEY);
}

/** Where the visitor was headed before the provider, once (it is forgotten as it is read). */
export function takeNext(): string | null {
  const next = sessionStorage.getItem(NEXT_KEY);
  sessionStorage.removeItem(NEXT_KEY);
  return next;
}
