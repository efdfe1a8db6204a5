import { routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { routeRegistrar } from '../../http/routes';
import { updateOwnStageState, updateStageState } from './stage';

/** Stage channels: speakers, the audience and raised hands (stage.ts; who may: access/stage.ts). */
export function stageRoutes(app: FastifyInstance, ctx: AppContext): void {
  const route = routeRegistrar(app, ctx);

  route(routes.stage.updateOwnVoiceState, async ({ auth, params, body }) => {
    await updateOwnStageState(ctx, params.guild_id, auth.user.id, body);
  });

  route(routes.stage.updateVoiceState, async ({ auth, params, body }) => {
    await updateStageState(ctx, params.guild_id, auth.user.id, params.user_id, body);
  });
}
