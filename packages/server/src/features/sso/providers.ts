import { API_PREFIX, type SsoProvider } from '@parley/protocol';
import * as oidc from 'openid-client';
import type { OidcProviderConfig } from '../../config';
import { ApiError } from '../../http/errors';

/** Discovery and token requests give up after this long: a hung provider must not hang sign-ins. */
const PROVIDER_TIMEOUT_SECONDS = 10;

/** The provider could not be reached or discovered; the sign-in ends with "unavailable". */
export class ProviderUnavailableError extends Error {
  constructor(providerId: string, cause: unknown) {
    super(`OpenID provider "${providerId}" is unavailable`, { cause });
    this.name = 'ProviderUnavailableError';
  }
}

/**
 * The operator's OpenID Connect providers (OIDC_PROVIDERS). Each one's discovery document is
 * fetched on first use, not at start, so a provider that is down never stops Parley from
 * starting; a successful discovery is kept for the life of the process, a failed one is
 * retried by the next sign-in.
 */
export class OidcProviders {
  private readonly byId: Map<string, OidcProviderConfig>;
  private readonly discovered = new Map<string, Promise<oidc.Configuration>>();

  constructor(
    providers: readonly OidcProviderConfig[],
    /** PUBLIC_URL, without a trailing slash: what providers redirect back to. */
    private readonly publicUrl: string | null,
  ) {
    this.byId = new Map(providers.map((p) => [p.id, p]));
  }

  list(): SsoProvider[] {
    return [...this.byId.values()].map(({ id, name }) => ({ id, name }));
  }

  /** The provider, or 404 UNKNOWN_PROVIDER. */
  get(id: string): SsoProvider {
    const provider = this.byId.get(id);
    if (!provider) throw new ApiError('UNKNOWN_PROVIDER');
    return { id: provider.id, name: provider.name };
  }

  /** The redirect URI registered at the provider: PUBLIC_URL/api/v10/auth/oidc/<id>/callback. */
  redirectUri(id: string): string {
    return `${this.publicUrl}${API_PREFIX}/auth/oidc/${id}/callback`;
  }

  /** The provider's discovered configuration; throws ProviderUnavailableError when it cannot be had. */
  async configuration(id: string): Promise<oidc.Configuration> {
    const provider = this.byId.get(id);
    if (!provider) throw new ApiError('UNKNOWN_PROVIDER');
    let pending = this.discovered.get(id);
    if (!pending) {
      pending = discover(provider);
      this.discovered.set(id, pending);
      // Forget a failure so the next sign-in tries again (the provider may be back by then).
      pending.catch(() => this.discovered.delete(id));
    }
    try {
      return await pending;
    } catch (error) {
      throw new ProviderUnavailableError(id, error);
    }
  }
}

async function discover(provider: OidcProviderConfig): Promise<oidc.Configuration> {
  // config.ts allows plain HTTP only for loopback issuers (a provider on the same machine).
  const insecure = new URL(provider.issuer).protocol === 'http:';
  const configuration = await oidc.discovery(new URL(provider.issuer), provider.client_id, { client_secret: provider.client_secret }, undefined, {
    execute: insecure ? [oidc.allowInsecureRequests] : [],
    timeout: PROVIDER_TIMEOUT_SECONDS,
  });
  // The spec's default is client_secret_basic; use it unless the provider says it only takes the secret in the body.
  const methods = configuration.serverMetadata().token_endpoint_auth_methods_supported;
  const auth = !methods || methods.includes('client_secret_basic') ? oidc.ClientSecretBasic(provider.client_secret) : oidc.ClientSecretPost(provider.client_secret);
  const client = new oidc.Configuration(configuration.serverMetadata(), provider.client_id, { client_secret: provider.client_secret }, auth);
  client.timeout = PROVIDER_TIMEOUT_SECONDS;
  if (insecure) oidc.allowInsecureRequests(client);
  return client;
}
