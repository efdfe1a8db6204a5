import { applicationRoutes } from './applications';
import { auditLogRoutes } from './audit-log';
import { authRoutes } from './auth';
import { callRoutes } from './calls';
import { channelRoutes } from './channels';
import { guildRoutes } from './guilds';
import { instanceRoutes } from './instance';
import { inviteRoutes } from './invites';
import { messageRoutes } from './messages';
import { mfaRoutes } from './mfa';
import { moderationRoutes } from './moderation';
import { notificationRoutes } from './notifications';
import { relationshipRoutes } from './relationships';
import { roleRoutes } from './roles';
import { ssoRoutes } from './sso';
import { stageRoutes } from './stage';
import type { RouteDef } from './route';
import { userRoutes } from './users';

/** Every REST route under /api/v10, grouped by feature. */
export const routes = {
  auth: authRoutes,
  users: userRoutes,
  mfa: mfaRoutes,
  instance: instanceRoutes,
  guilds: guildRoutes,
  channels: channelRoutes,
  messages: messageRoutes,
  invites: inviteRoutes,
  relationships: relationshipRoutes,
  notifications: notificationRoutes,
  applications: applicationRoutes,
  calls: callRoutes,
  stage: stageRoutes,
  roles: roleRoutes,
  moderation: moderationRoutes,
  auditLog: auditLogRoutes,
  sso: ssoRoutes,
} satisfies Record<string, Record<string, RouteDef>>;

export const API_PREFIX = '/api/v10';
