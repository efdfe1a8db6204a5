import type { HistoryRequest, Snowflake } from '@parley/protocol';
import { E2eeLimits, e2eeRoutes as e2eeApi } from '@parley/protocol/e2ee';
import type { FastifyInstance } from 'fastify';
import { ownDevice } from '../../access/e2ee';
import type { AppContext } from '../../context';
import type { E2eeHistoryRequestsTable } from '../../db/tables';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { event } from '../../events/publisher';

/**
 * History between a person's own devices (docs/e2ee.md): a new device asks with a public key,
 * another of their devices approves (after the person compared the code both show) by sealing
 * the keys to that key, and the asking device takes them. Everything stays among the person's
 * own devices and sessions: requests are theirs alone, an approval comes from another of their
 * devices, and the server cannot open what it carries.
 */
export function historyRequestRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);

  const toRequest = (row: E2eeHistoryRequestsTable & { device_name: string }): HistoryRequest => ({
    id: row.id,
    device_id: row.device_id,
    device_name: row.device_name,
    public_key: row.public_key,
    created_at: new Date(row.created_at).toISOString(),
    approved_by: row.approved_by,
    sealed: row.sealed,
    signature: row.signature,
  });

  /** The person's requests still in time, with their device's name. */
  const requests = (userId: Snowflake) =>
    db
      .selectFrom('e2ee_history_requests')
      .innerJoin('e2ee_devices', 'e2ee_devices.id', 'e2ee_history_requests.device_id')
      .selectAll('e2ee_history_requests')
      .select('e2ee_devices.name as device_name')
      .where('e2ee_history_requests.user_id', '=', userId)
      .where('e2ee_history_requests.created_at', '>', ctx.clock.now() - E2eeLimits.historyRequestTtlMs);

  /** Requests past their hour are of no use to anyone: they go when their person next asks or looks. */
  const purgeExpired = (userId: Snowflake) =>
    db
      .deleteFrom('e2ee_history_requests')
      .where('user_id', '=', userId)
      .where('created_at', '<=', ctx.clock.now() - E2eeLimits.historyRequestTtlMs)
      .execute();

  async function requestOf(userId: Snowflake, requestId: Snowflake) {
    const row = await requests(userId).where('e2ee_history_requests.id', '=', requestId).executeTakeFirst();
    if (!row) throw new ApiError('UNKNOWN_HISTORY_REQUEST');
    return row;
  }

  const done = (userId: Snowflake, row: { id: Snowflake; device_id: Snowflake }, approved: boolean) =>
    ctx.events.publish(event('E2EE_HISTORY_REQUEST_DONE', { id: row.id, device_id: row.device_id, approved }, { users: [userId] }));

  route(e2eeApi.requestHistory, async ({ auth, params, body }) => {
    await ownDevice(db, auth.user.id, params.device_id);
    await purgeExpired(auth.user.id);
    const row = { id: ctx.ids.next(), user_id: auth.user.id, device_id: params.device_id, public_key: body.public_key, created_at: ctx.clock.now(), approved_by: null, sealed: null, signature: null };
    // One request per device: asking again replaces the last (its prompts close).
    const earlier = await db.selectFrom('e2ee_history_requests').select(['id', 'device_id']).where('device_id', '=', params.device_id).execute();
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom('e2ee_history_requests').where('device_id', '=', params.device_id).execute();
      await trx.insertInto('e2ee_history_requests').values(row).execute();
    });
    for (const old of earlier) await done(auth.user.id, old, false);
    const request = toRequest({ ...row, device_name: (await requestOf(auth.user.id, row.id)).device_name });
    await ctx.events.publish(event('E2EE_HISTORY_REQUEST', request, { users: [auth.user.id] }));
    return request;
  });

  route(e2eeApi.historyRequests, async ({ auth }) => {
    await purgeExpired(auth.user.id);
    const rows = await requests(auth.user.id).where('e2ee_history_requests.approved_by', 'is', null).orderBy('e2ee_history_requests.id').execute();
    return rows.map(toRequest);
  });

  route(e2eeApi.historyRequest, async ({ auth, params }) => toRequest(await requestOf(auth.user.id, params.request_id)));

  route(e2eeApi.approveHistoryRequest, async ({ auth, params, body }) => {
    await ownDevice(db, auth.user.id, body.device_id);
    const row = await requestOf(auth.user.id, params.request_id);
    if (row.device_id === body.device_id) throw new ApiError('UNKNOWN_DEVICE', { message: 'A device cannot approve its own request' });
    const approved = await db
      .updateTable('e2ee_history_requests')
      .set({ approved_by: body.device_id, sealed: body.sealed, signature: body.signature })
      .where('id', '=', row.id)
      .where('approved_by', 'is', null)
      .executeTakeFirst();
    // Another device approved first: its answer stands.
    if (approved.numUpdatedRows === 0n) throw new ApiError('UNKNOWN_HISTORY_REQUEST');
    await done(auth.user.id, row, true);
  });

  route(e2eeApi.deleteHistoryRequest, async ({ auth, params }) => {
    const row = await requestOf(auth.user.id, params.request_id);
    await db.deleteFrom('e2ee_history_requests').where('id', '=', row.id).execute();
    if (row.approved_by === null) await done(auth.user.id, row, false);
  });
}
