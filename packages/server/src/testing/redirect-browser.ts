/**
 * Just enough of a browser for API tests of redirect flows (single sign-on): it keeps cookies
 * per host, follows redirects by hand (so each hop can be seen) and posts forms. Cookie paths
 * and attributes are ignored: every cookie of a host goes back to that host.
 */
export class RedirectBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  /**
   * `rewrite` maps a URL before it is fetched: the Parley test server listens on a random port,
   * so its PUBLIC_URL is a stand-in origin that must be sent to the real one.
   */
  constructor(private readonly rewrite: (url: URL) => URL = (url) => url) {}

  async request(url: string | URL, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Response> {
    const target = this.rewrite(new URL(url));
    const cookies = [...(this.jar.get(target.host) ?? new Map<string, string>())].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(target, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        ...(cookies && { cookie: cookies }),
        ...(init.form && { 'content-type': 'application/x-www-form-urlencoded' }),
        ...init.headers,
      },
      ...(init.form && { body: new URLSearchParams(init.form).toString() }),
    });
    this.store(target.host, response.headers.getSetCookie());
    return response;
  }

  /**
   * Follows redirects from `url` until a page answers (not a 3xx) or a redirect leaves for a
   * URL `stopAt` accepts; returns the last URL reached and its response (the redirect itself
   * when stopped).
   */
  async navigate(url: string | URL, stopAt: (url: URL) => boolean, init: Parameters<RedirectBrowser['request']>[1] = {}): Promise<{ url: URL; response: Response }> {
    let current = new URL(url);
    let response = await this.request(current, init);
    for (let hops = 0; hops < 20; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url: current, response };
      const next = new URL(location, current);
      if (stopAt(next)) return { url: next, response };
      current = next;
      response = await this.request(current);
    }
    throw new Error('Too many redirects');
  }

  /** The value of a cookie this browser holds for a host, if any. */
  cookie(host: string, name: string): string | null {
    return this.jar.get(host)?.get(name) ?? null;
  }

  setCookie(host: string, name: string, value: string): void {
    this.store(host, [`${name}=${value}`]);
  }

  private store(host: string, setCookies: string[]): void {
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(host, cookies);
  }
}
