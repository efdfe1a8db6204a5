import { authRoutes } from './auth';
import { instanceRoutes } from './instance';
import type { RouteDef } from './route';
import { userRoutes } from './users';

/** Every REST route under /api/v10, grouped by feature. */
export const routes = {
  auth: authRoutes,
  users: userRoutes,
  instance: instanceRoutes,
} satisfies Record<string, Record<string, RouteDef>>;

export const API_PREFIX = '/api/v10';
