import { type ErrorBody, type FieldProblem, fromFormErrors } from '@parley/protocol';

/** A request the server refused or could not answer; carries the API's error code and field problems. */
export class ParleyApiError extends Error {
  readonly status: number;
  /** The API error code (docs/errors.md); 0 with status 0 means the server was unreachable. */
  readonly code: number;
  readonly problems: FieldProblem[];
  /** Seconds to wait, on 429. */
  readonly retryAfter: number | null;

  constructor(status: number, body: ErrorBody) {
    super(body.message);
    this.name = 'ParleyApiError';
    this.status = status;
    this.code = body.code;
    this.problems = body.errors ? fromFormErrors(body.errors) : [];
    this.retryAfter = body.retry_after ?? null;
  }

  /** The message for one field (`'username'`), for showing next to that input. */
  fieldMessage(field: string): string | null {
    return this.problems.find((p) => p.path.join('.') === field)?.message ?? null;
  }
}

/** An error as a sentence: its message (what a client shows unless it words errors itself). */
export const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** The server could not be reached at all (offline, refused, aborted). */
export class ParleyNetworkError extends Error {
  constructor(cause: unknown) {
    super('Could not reach the server. Check your connection and try again.', { cause });
    this.name = 'ParleyNetworkError';
  }
}
