import { adminRoutes as routes, AdminLimits } from '@parley/protocol/admin';
import type { Snowflake } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { ApiError } from '../../http/errors';
import type { IncomingFile } from '../../http/multipart';
import { routeRegistrar } from '../../http/routes';
import { auditReason } from '../audit-log/record';
import { mailContext } from '../email/verification';
import { listInstanceAudit } from '../instance-audit/record';
import { type AdminActor, createAccount, deleteAccount, mailWelcome, resetPassword, signOutEverywhere, updateAccount } from './accounts';
import { CsvError } from './csv';
import { accountDetail, searchAccounts } from './directory';
import { importAccounts, rowsFromCsv, rowsFromJson } from './import';
import type { GatewayNodes } from './nodes';
import { instanceStats } from './stats';

/** Mails handed to the mailer at once during an import (each batch waits for the last). */
const MAIL_BATCH = 20;

/**
 * The admin portal's API (instance admins only: every route declares auth 'admin'): accounts,
 * provisioning, the instance audit log and statistics. Every change is recorded in the
 * instance audit log with who did it and why (X-Audit-Log-Reason).
 */
export function adminRoutes(app: FastifyInstance, ctx: AppContext, nodes: GatewayNodes): void {
  const route = routeRegistrar(app, ctx);
  const actor = (auth: { user: { id: Snowflake } }, request: Parameters<typeof auditReason>[0]): AdminActor => ({ id: auth.user.id, reason: auditReason(request) });

  route(routes.listUsers, async ({ query }) => searchAccounts(ctx, query));

  route(routes.getUser, async ({ params }) => accountDetail(ctx, params.user_id));

  route(routes.createUser, async ({ body, auth, request }) => createAccount(ctx, body, actor(auth, request)));

  route(routes.updateUser, async ({ params, body, auth, request }) => updateAccount(ctx, params.user_id, body, actor(auth, request)));

  route(routes.signOutUser, async ({ params, auth, request }) => signOutEverywhere(ctx, params.user_id, actor(auth, request)));

  route(routes.resetUserPassword, async ({ params, body, auth, request }) => resetPassword(ctx, params.user_id, body.mode, actor(auth, request)));

  route(routes.deleteUser, async ({ params, auth, request }) => deleteAccount(ctx, params.user_id, actor(auth, request)));

  route(
    routes.importUsers,
    async ({ body, files, auth, request }) => {
      const csv = files[0];
      if (csv && body.users) throw new ApiError('BAD_REQUEST', { message: 'Send either a CSV file or a users list, not both.' });
      if (!csv && !body.users) throw new ApiError('BAD_REQUEST', { message: 'Send a CSV file (files[0]) or a users list.' });
      let rows;
      try {
        rows = csv ? rowsFromCsv(csv) : rowsFromJson(body.users!);
      } catch (error) {
        if (error instanceof CsvError) throw new ApiError('BAD_REQUEST', { message: `Malformed CSV: ${error.message}` });
        throw error;
      }
      const mail = await mailContext(ctx);
      const delivery = body.delivery ?? (mail ? 'email' : 'download');
      if (delivery === 'email' && !mail) throw new ApiError('MAIL_NOT_CONFIGURED', { message: 'This server sends no e-mail: choose to download the one-time passwords instead.' });
      const result = await importAccounts(ctx, rows, { delivery, actorId: auth.user.id, reason: auditReason(request) });
      if (mail && delivery === 'email') {
        const accounts = result.created;
        // After the answer, a batch at a time: the SMTP server is never handed thousands of mails at once.
        void (async () => {
          for (let i = 0; i < accounts.length; i += MAIL_BATCH) {
            for (const account of accounts.slice(i, i + MAIL_BATCH)) await mailWelcome(ctx, mail, account);
            await ctx.mailer!.idle();
          }
        })().catch((error: unknown) => request.log.error({ err: error }, 'could not mail imported accounts'));
      }
      return result;
    },
    {
      // The CSV is read into memory (it is small by limit) and handed to the handler as text.
      open: async () => async (file: IncomingFile) => readCsvFile(file),
      discard: async () => undefined,
    },
  );

  route(routes.auditLog, async ({ query }) => listInstanceAudit(ctx, { limit: query.limit, ...(query.before && { before: query.before }), ...(query.action && { action: query.action }) }));

  route(routes.stats, async () => instanceStats(ctx, nodes));
}

/** A CSV upload as text, refused past the byte limit as soon as it gets there. */
async function readCsvFile(file: IncomingFile): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of file.stream as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > AdminLimits.importMaxCsvBytes) {
      throw new ApiError('PAYLOAD_TOO_LARGE', { message: `The CSV file must be at most ${AdminLimits.importMaxCsvBytes / 1024 / 1024} MiB (${AdminLimits.importMaxUsers} people)` });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.includes('\u0000')) throw new ApiError('BAD_REQUEST', { message: 'Malformed CSV: this is not a text file' });
  return text;
}
