import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { PARLEY_VERSION } from '../version';

/**
 * OpenAPI generated from the same zod schemas that validate requests, served as JSON at
 * /api/openapi.json and browsable at /api/docs. Must be installed before any route.
 */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Parley API',
        version: PARLEY_VERSION,
        description:
          'REST API of Parley, shaped like Discord API v10. Send `Authorization: <token>` (the token from ' +
          '/auth/login, /auth/register or /auth/guest). Errors are `{code, message, errors?}`; see docs/errors.md.',
      },
      servers: [],
      components: { securitySchemes: { token: { type: 'apiKey', in: 'header', name: 'Authorization' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    staticCSP: true,
    // Swagger UI sets a few inline styles itself; the page shows no user content, so allow them here.
    transformStaticCSP: (header) => header.replace("style-src 'self' https:", "style-src 'self' https: 'unsafe-inline'"),
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
