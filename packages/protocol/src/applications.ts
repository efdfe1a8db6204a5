import { z } from 'zod';
import { Reauthentication } from './mfa';
import { Snowflake } from './ids';
import { Limits, line, text } from './limits';
import { defineRoute } from './route';
import { User } from './users';

/** An application: what a bot belongs to (Discord's application object, the parts Parley has). */
export const Application = z.object({
  id: Snowflake,
  name: z.string(),
  description: z.string(),
  icon: z.string().nullable(),
  owner: User,
  bot: User.optional(),
  bot_public: z.boolean(),
  bot_require_code_grant: z.boolean(),
  flags: z.number().int(),
  verify_key: z.string(),
});
export type Application = z.infer<typeof Application>;

export const CreateApplicationBody = z.object({
  name: line(Limits.usernameMax, 2),
  description: text(400).optional(),
});

export const BotTokenResponse = z.object({
  /** Send as `Authorization: Bot <token>`. Shown once; a new call replaces it. */
  token: z.string(),
  user: User,
});

export const AuthorizeQuery = z.object({
  client_id: Snowflake,
  scope: z.string().regex(/(^|\s)bot(\s|$)/, 'Only the "bot" scope is supported'),
  permissions: z
    .string()
    .regex(/^\d{1,20}$/)
    .optional(),
});

export const AuthorizeBody = z.object({
  guild_id: Snowflake,
  /** Permission bits (decimal string) for the bot's role in that server. */
  permissions: z
    .string()
    .regex(/^\d{1,20}$/)
    .default('0'),
  authorize: z.literal(true),
});

export const AuthorizeInfo = z.object({
  application: Application.omit({ owner: true }),
  bot: User,
  /** Servers where you may add it (you have Manage Server). */
  guilds: z.array(z.object({ id: Snowflake, name: z.string(), icon: z.string().nullable() })),
});

export const GatewayInfo = z.object({ url: z.string() });
export const GatewayBotInfo = z.object({
  url: z.string(),
  shards: z.number().int(),
  session_start_limit: z.object({
    total: z.number().int(),
    remaining: z.number().int(),
    reset_after: z.number().int(),
    max_concurrency: z.number().int(),
  }),
});

const ApplicationParams = z.object({ application_id: Snowflake });

export const applicationRoutes = {
  create: defineRoute({
    method: 'POST',
    path: '/applications',
    summary: 'Create an application (for a bot)',
    tag: 'Bots',
    auth: 'person',
    body: CreateApplicationBody,
    response: Application,
  }),
  listMine: defineRoute({
    method: 'GET',
    path: '/applications',
    summary: 'Your applications',
    tag: 'Bots',
    auth: 'person',
    response: z.array(Application),
  }),
  current: defineRoute({
    method: 'GET',
    path: '/applications/@me',
    summary: "The calling bot's application",
    tag: 'Bots',
    auth: 'user',
    response: Application,
  }),
  createBot: defineRoute({
    method: 'POST',
    path: '/applications/:application_id/bot',
    summary: 'Create the application’s bot user (once) and issue a new bot token (replacing any old one); asks for your password, or with 2FA a code instead',
    tag: 'Bots',
    auth: 'person',
    params: ApplicationParams,
    body: Reauthentication,
    response: BotTokenResponse,
  }),
  authorizeInfo: defineRoute({
    method: 'GET',
    path: '/oauth2/authorize',
    summary: 'What adding this bot means, and the servers you could add it to',
    tag: 'Bots',
    auth: 'person',
    query: AuthorizeQuery,
    response: AuthorizeInfo,
  }),
  authorize: defineRoute({
    method: 'POST',
    path: '/oauth2/authorize',
    summary: 'Add a bot to a server you manage, with a role holding the given permissions',
    tag: 'Bots',
    auth: 'person',
    query: AuthorizeQuery,
    body: AuthorizeBody,
    response: z.object({ location: z.string() }),
  }),
  gateway: defineRoute({
    method: 'GET',
    path: '/gateway',
    summary: 'The WebSocket gateway URL',
    tag: 'Gateway',
    auth: 'none',
    response: GatewayInfo,
  }),
  gatewayBot: defineRoute({
    method: 'GET',
    path: '/gateway/bot',
    summary: 'The gateway URL with sharding advice, for bots',
    tag: 'Gateway',
    auth: 'user',
    response: GatewayBotInfo,
  }),
};
