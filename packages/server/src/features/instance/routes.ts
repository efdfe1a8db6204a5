import { Limits, routes } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { routeRegistrar } from '../../http/routes';
import { PARLEY_VERSION } from '../../version';
import { auditReason } from '../audit-log/record';
import { fieldError } from '../../http/errors';
import { recordInstanceAudit } from '../instance-audit/record';
import { uploadMaxBytes } from './settings';

/** Public instance facts, and the admin's controls over registration. */
export function instanceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const route = routeRegistrar(app, ctx);

  route(routes.instance.info, async () => {
    const settings = await ctx.settings.get();
    return {
      ...settings,
      version: PARLEY_VERSION,
      mail_enabled: ctx.mailer !== null,
      limits: {
        username_min: Limits.usernameMin,
        username_max: Limits.usernameMax,
        password_min: Limits.passwordMin,
        avatar_max_bytes: Limits.avatarMaxBytes,
        attachment_max_bytes: uploadMaxBytes(settings, ctx.config.attachmentMaxBytes),
        attachments_per_message: Limits.attachmentsPerMessage,
      },
    };
  });

  route(routes.instance.getSettings, async () => ctx.settings.get());

  route(routes.instance.updateSettings, async ({ body, auth, request }) => {
    if (body.upload_max_bytes != null && body.upload_max_bytes > ctx.config.attachmentMaxBytes) {
      throw fieldError('upload_max_bytes', 'NUMBER_TYPE_MAX', `Must be at most ${ctx.config.attachmentMaxBytes} (the operator's ATTACHMENT_MAX_BYTES)`);
    }
    const before = await ctx.settings.get();
    const after = await ctx.settings.update(body);
    const changed = (Object.keys(after) as (keyof typeof after)[]).filter((key) => before[key] !== after[key]);
    if (changed.length) {
      await recordInstanceAudit(ctx, ctx.db, { actorId: auth.user.id, action: 'settings_update', reason: auditReason(request), details: Object.fromEntries(changed.map((key) => [key, after[key]])) });
    }
    return after;
  });

  route(routes.instance.listInvites, async () => ctx.registrationInvites.list());

  route(routes.instance.createInvite, async ({ body, auth }) => ctx.registrationInvites.create({ maxUses: body.max_uses, maxAgeSeconds: body.max_age, createdBy: auth.user.id }));

  route(routes.instance.revokeInvite, async ({ params }) => {
    await ctx.registrationInvites.revoke(params.code);
  });
}
