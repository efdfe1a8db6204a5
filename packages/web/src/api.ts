import type { FieldProblem } from '@parley/protocol';
import { ParleyApiError, ParleyNetworkError, RestClient } from '@parley/sdk';

const TOKEN_KEY = 'parley.token';

/** The one REST client of the app, on the page's own origin, signed in when a token is stored. */
export const api = new RestClient({ baseUrl: '', token: localStorage.getItem(TOKEN_KEY) });

export function saveToken(token: string | null): void {
  api.token = token;
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

/** Where the API's own message (kept Discord-compatible) is terser than a person needs. */
const FRIENDLIER: Partial<Record<number, string>> = {
  10006: 'This invite is invalid, has expired, or has been used up.',
  10013: 'No one has that ID.',
  10020: 'That device is already signed out.',
};

/** An error whose message is already a sentence a person can act on (a passkey prompt closed, say). */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
}

/** A sentence a person can act on, for any error a call can throw. */
export function errorMessage(error: unknown): string {
  if (error instanceof UserFacingError) return error.message;
  if (error instanceof ParleyApiError) {
    if (error.status === 429 && error.retryAfter) return `Too many attempts. Try again in ${Math.ceil(error.retryAfter)} seconds.`;
    return error.problems[0]?.message ?? FRIENDLIER[error.code] ?? error.message;
  }
  if (error instanceof ParleyNetworkError) return error.message;
  return 'Something went wrong. Please try again.';
}

/** Field name → its first problem's message, for showing each next to its input. */
export function messagesByField(problems: readonly FieldProblem[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const problem of problems) {
    const key = problem.path.join('.');
    if (key && !fields[key]) fields[key] = problem.message;
  }
  return fields;
}

/** The field messages of a refused request (none for other errors). */
export function fieldErrors(error: unknown): Record<string, string> {
  return error instanceof ParleyApiError ? messagesByField(error.problems) : {};
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof ParleyApiError && error.status === 401;
}
