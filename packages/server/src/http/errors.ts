import { ApiErrors, type ApiErrorName, type ErrorBody, type FieldProblem, describeFormErrors, issuesToProblems, toFormErrors } from '@parley/protocol';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Metrics } from '../metrics/metrics';
import type { PageFallback } from './web';

/** An error the client caused or may act on: it becomes `{code, message, errors?}` with its status. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: number;
  readonly problems: readonly FieldProblem[];
  /** Seconds, for 429. */
  readonly retryAfter: number | null;

  constructor(name: ApiErrorName, options: { message?: string; problems?: FieldProblem[]; retryAfter?: number } = {}) {
    const def = ApiErrors[name];
    super(options.message ?? (options.problems?.length ? describeFormErrors(options.problems) : def.message));
    this.name = `ApiError(${name})`;
    this.status = def.status;
    this.code = def.code;
    this.problems = options.problems ?? [];
    this.retryAfter = options.retryAfter ?? null;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.problems.length) body.errors = toFormErrors(this.problems);
    if (this.retryAfter !== null) Object.assign(body, { retry_after: this.retryAfter, global: false });
    return body;
  }
}

/** A 400 Invalid Form Body naming one field: `fieldError('username', 'USERNAME_ALREADY_TAKEN', '…')`. */
export function fieldError(field: string, code: string, message: string): ApiError {
  return new ApiError('INVALID_FORM_BODY', { problems: [{ path: [field], code, message }] });
}

/** A body, query or path that failed its schema; becomes 50035 Invalid Form Body naming the fields. */
export class RequestValidationError extends Error {
  readonly statusCode = 400;
  constructor(readonly issues: readonly z.core.$ZodIssue[]) {
    super('Request validation failed');
  }
}

/** Fastify's own errors that a client causes, and what they become. */
const FASTIFY_ERRORS: Record<string, ApiErrorName> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
};

/** Errors Fastify raises before routing (an undecodable URL), answered in the API's own shape. */
export function answerFrameworkError(_error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const error = new ApiError('BAD_REQUEST');
  void reply.status(error.status).send(error.toBody());
}

/**
 * One place turns every thrown thing into a response. Client mistakes keep their message;
 * anything unexpected is logged in full and answered with a 500 that reveals nothing.
 *
 * Install it before anything else: Fastify gives each route the error handler in force when the
 * route is registered, so routes added before it (or before an awaited plugin flushed them)
 * would keep Fastify's default one, which answers our validation errors with a 500.
 */
export function installErrorHandler(app: FastifyInstance, metrics: Metrics): void {
  app.setErrorHandler((error: FastifyError | ApiError, request, reply) => {
    let apiError: ApiError;
    if (error instanceof ApiError) {
      apiError = error;
    } else if (error instanceof RequestValidationError) {
      apiError = new ApiError('INVALID_FORM_BODY', { problems: issuesToProblems(error.issues) });
    } else if (error.code && FASTIFY_ERRORS[error.code]) {
      apiError = new ApiError(FASTIFY_ERRORS[error.code]!);
    } else if (error instanceof SyntaxError && error.statusCode === 400) {
      apiError = new ApiError('INVALID_JSON');
    } else {
      request.log.error({ err: error }, 'unhandled error');
      apiError = new ApiError('INTERNAL');
    }
    if (apiError.retryAfter !== null) reply.header('retry-after', Math.ceil(apiError.retryAfter));
    metrics.errorAnswered(apiError, `${request.method} ${request.routeOptions.url ?? 'unknown'}`);
    return reply.status(apiError.status).send(apiError.toBody());
  });
}

/** Unknown paths: the web client's page for a browser navigating, 10002 Unknown Route for the rest. */
export function installNotFoundHandler(app: FastifyInstance, pageFallback: PageFallback | null, metrics: Metrics): void {
  app.setNotFoundHandler((request, reply) => {
    if (pageFallback?.(request, reply)) return reply;
    const error = new ApiError('UNKNOWN_ROUTE');
    metrics.errorAnswered(error, 'unknown');
    return reply.status(error.status).send(error.toBody());
  });
}
