import type { FastifyInstance } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { RequestValidationError } from './errors';

/**
 * Every body, query and path parameter is parsed by its zod schema before a handler sees it;
 * the parsed value (trimmed, lowercased, defaulted) replaces the raw one. Responses are checked
 * against their schema on the way out, so the API never sends a shape the docs don't promise.
 */
export function installValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema }) => (data) => {
    // reportInput: issues keep the offending value, which tells "missing" from "wrong type".
    const result = (schema as z.ZodType).safeParse(data, { reportInput: true });
    return result.success ? { value: result.data } : { error: new RequestValidationError(result.error.issues) };
  });
  app.setSerializerCompiler(serializerCompiler);
}
