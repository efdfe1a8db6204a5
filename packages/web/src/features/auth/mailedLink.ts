/**
 * The token of a mailed link (`/reset-password#token=…`). It travels in the fragment so that it
 * never reaches a server log or another site's Referer header.
 */
export function tokenInHash(hash: string): string | null {
  return new URLSearchParams(hash.replace(/^#/, '')).get('token');
}
