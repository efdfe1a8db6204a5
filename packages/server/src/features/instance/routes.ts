import { Limits, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { routeRegistrar } from '../../http/routes';
import { PARLEY_VERSION } from '../../version';

/** Public instance facts, and the admin's controls over registration. */
export function instanceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const route = routeRegistrar(app, ctx);

  route(routes.instance.info, async () => ({
    ...(await ctx.settings.get()),
    version: PARLEY_VERSION,
    mail_enabled: ctx.mailer !== null,
    limits: {
      username_min: Limits.usernameMin,
      username_max: Limits.usernameMax,
      password_min: Limits.passwordMin,
      avatar_max_bytes: Limits.avatarMaxBytes,
      attachment_max_bytes: ctx.config.attachmentMaxBytes,
      attachments_per_message: Limits.attachmentsPerMessage,
    },
  }));

  route(routes.instance.getSettings, async () => ctx.settings.get());

  route(routes.instance.updateSettings, async ({ body }) => ctx.settings.update(body));

  route(routes.instance.listInvites, async () => ctx.registrationInvites.list());

  route(routes.instance.createInvite, async ({ body, auth }) => ctx.registrationInvites.create({ maxUses: body.max_uses, maxAgeSeconds: body.max_age, createdBy: auth.user.id }));

  route(routes.instance.revokeInvite, async ({ params }) => {
    await ctx.registrationInvites.revoke(params.code);
  });
}
