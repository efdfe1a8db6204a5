/**
 * The address to post to, as people paste it into another app: absolute. The server gives it
 * whole when it knows its public address (PUBLIC_URL), else from its path: then it is on this
 * page's origin, which is where the API is.
 */
export function absoluteWebhookUrl(url: string, origin: string): string {
  return new URL(url, origin).href;
}
