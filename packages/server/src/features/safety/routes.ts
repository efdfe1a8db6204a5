import { type Snowflake } from '@parley/protocol';
import { type AdminSafetyAppeal, safetyRoutes as safetyApi } from '@parley/protocol/safety';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context';
import { uniqueViolationColumn } from '../../db/errors';
import type { SafetyAppealRow } from '../../db/tables';
import { event } from '../../events/publisher';
import { ApiError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { requireImpartial } from '../../access/safety';
import { recordInstanceAudit } from '../instance-audit/record';
import { AttachmentUrls } from '../messages/attachment-urls';
import { usersByIds } from '../users/queries';
import { deletedUser, toUser } from '../users/serialize';
import { flaggedLabels } from './classifier/index';
import { actedOn, loadBlock, toAppeal, toBlock } from './blocks';
import { releaseHeldMessage } from './release';

/** Lifted blocks stay in their person's list this long, so they read the decision. */
const LIFTED_SHOWN_MS = 30 * 24 * 3600_000;

/**
 * The safety policy's routes: a blocked person's blocks and appeal; the admins' appeal queue and
 * decision (by an admin who did not act: access/safety.ts), confirming a block, and testing the filter.
 */
export function safetyRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);
  const urls = new AttachmentUrls(db, ctx.clock, ctx.config.publicUrl ?? '');

  /** Tells the blocked person's sessions how their block stands now. */
  async function announceBlock(blockId: Snowflake): Promise<void> {
    const block = await loadBlock(db, blockId);
    if (block) await ctx.events.publish(event('SAFETY_BLOCK_UPDATE', block, { users: [block.user_id] }));
  }

  async function adminView(rows: SafetyAppealRow[]): Promise<AdminSafetyAppeal[]> {
    if (rows.length === 0) return [];
    const blocks = await db
      .selectFrom('safety_blocks')
      .selectAll()
      .where(
        'id',
        'in',
        rows.map((r) => r.block_id),
      )
      .execute();
    const messages = await db
      .selectFrom('messages')
      .select(['id', 'content'])
      .where(
        'id',
        'in',
        blocks.map((b) => b.message_id),
      )
      .execute();
    const users = await usersByIds(
      db,
      rows.map((r) => r.user_id),
    );
    return Promise.all(
      rows.map(async (row) => {
        const block = blocks.find((b) => b.id === row.block_id)!;
        const user = users.get(row.user_id);
        const { appeal: _, ...blockView } = toBlock(block, null);
        return {
          ...toAppeal(row),
          user: user ? toUser(user) : deletedUser(row.user_id),
          block: blockView,
          message_content: messages.find((m) => m.id === block.message_id)?.content ?? null,
          acted_by: await actedOn(db, block),
          decided_by: row.decided_by_id,
        };
      }),
    );
  }

  route(safetyApi.myBlocks, async ({ auth }) => {
    const since = ctx.clock.now() - LIFTED_SHOWN_MS;
    const rows = await db
      .selectFrom('safety_blocks')
      .selectAll()
      .where('user_id', '=', auth.user.id)
      .where((eb) => eb.or([eb('lifted_at', 'is', null), eb('lifted_at', '>', since)]))
      .orderBy('id', 'desc')
      .limit(100)
      .execute();
    const appeals = rows.length
      ? await db
          .selectFrom('safety_appeals')
          .selectAll()
          .where(
            'block_id',
            'in',
            rows.map((r) => r.id),
          )
          .execute()
      : [];
    return rows.map((row) => toBlock(row, appeals.find((a) => a.block_id === row.id) ?? null));
  });

  route(safetyApi.appeal, async ({ auth, body }) => {
    const block = await db.selectFrom('safety_blocks').selectAll().where('id', '=', body.block_id).where('user_id', '=', auth.user.id).executeTakeFirst();
    if (!block) throw new ApiError('UNKNOWN_SAFETY_BLOCK');
    if (block.lifted_at !== null) throw new ApiError('BLOCK_LIFTED');
    const row = {
      id: ctx.ids.next(),
      block_id: block.id,
      user_id: auth.user.id,
      text: body.text.trim(),
      status: 'pending',
      note: null,
      decided_by_id: null,
      created_at: ctx.clock.now(),
      decided_at: null,
    };
    try {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('safety_appeals').values(row).execute();
        await recordInstanceAudit(ctx, trx, { actorId: auth.user.id, action: 'appeal_create', target: { type: 'appeal', id: row.id }, details: { block_id: block.id } });
      });
    } catch (error) {
      // One appeal per block: a second one (or a racing double submit) loses on the constraint.
      if (uniqueViolationColumn(error) !== null) throw new ApiError('APPEAL_EXISTS');
      throw error;
    }
    await announceBlock(block.id);
    return toAppeal(row);
  });

  route(safetyApi.listAppeals, async ({ query }) => {
    const rows = await db.selectFrom('safety_appeals').selectAll().where('status', '=', query.status).orderBy('id', 'asc').limit(query.limit).execute();
    return adminView(rows);
  });

  route(safetyApi.decideAppeal, async ({ auth, params, body }) => {
    const appeal = await db.selectFrom('safety_appeals').selectAll().where('id', '=', params.appeal_id).executeTakeFirst();
    if (!appeal) throw new ApiError('UNKNOWN_APPEAL');
    if (appeal.status !== 'pending') throw new ApiError('APPEAL_DECIDED');
    const block = await db.selectFrom('safety_blocks').selectAll().where('id', '=', appeal.block_id).executeTakeFirstOrThrow();
    // A fair hearing: neither the person nor an admin who acted on the block decides.
    requireImpartial(auth.user.id, [block.user_id, ...(await actedOn(db, block))]);
    const lift = body.outcome === 'lift';
    const now = ctx.clock.now();
    await db.transaction().execute(async (trx) => {
      const decided = await trx
        .updateTable('safety_appeals')
        .set({ status: lift ? 'lifted' : 'upheld', note: body.note.trim(), decided_by_id: auth.user.id, decided_at: now })
        .where('id', '=', appeal.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      // Two admins deciding at once: the first decision stands.
      if (!decided.numUpdatedRows) throw new ApiError('APPEAL_DECIDED');
      if (lift) await trx.updateTable('safety_blocks').set({ lifted_at: now, lifted_by_id: auth.user.id }).where('id', '=', block.id).where('lifted_at', 'is', null).execute();
      await recordInstanceAudit(ctx, trx, {
        actorId: auth.user.id,
        action: 'appeal_decide',
        target: { type: 'appeal', id: appeal.id },
        reason: body.note.trim(),
        details: { outcome: body.outcome, block_id: block.id, user_id: block.user_id, message_id: block.message_id },
      });
      if (lift)
        await recordInstanceAudit(ctx, trx, { actorId: auth.user.id, action: 'sender_unblocked', target: { type: 'user', id: block.user_id }, details: { block_id: block.id, appeal_id: appeal.id } });
    });
    if (lift) await releaseHeldMessage(ctx, urls, block.message_id, auth.user.id);
    await announceBlock(block.id);
    const updated = await db.selectFrom('safety_appeals').selectAll().where('id', '=', appeal.id).executeTakeFirstOrThrow();
    return (await adminView([updated]))[0]!;
  });

  route(safetyApi.confirmBlock, async ({ auth, params, body }) => {
    const block = await db.selectFrom('safety_blocks').selectAll().where('id', '=', params.block_id).executeTakeFirst();
    if (!block) throw new ApiError('UNKNOWN_SAFETY_BLOCK');
    if (block.lifted_at !== null) throw new ApiError('BLOCK_LIFTED');
    await db.transaction().execute(async (trx) => {
      // The first admin to confirm is the one on the block; every confirmation is in the log.
      await trx.updateTable('safety_blocks').set({ confirmed_by_id: auth.user.id, confirmed_at: ctx.clock.now() }).where('id', '=', block.id).where('confirmed_by_id', 'is', null).execute();
      await recordInstanceAudit(ctx, trx, {
        actorId: auth.user.id,
        action: 'block_confirm',
        target: { type: 'report', id: block.report_id },
        reason: body.note?.trim() || null,
        details: { block_id: block.id },
      });
    });
    return (await loadBlock(db, block.id))!;
  });

  route(safetyApi.classify, async ({ body }) => {
    const settings = await ctx.settings.get();
    const labels = ctx.safety.classifier.score(body.content);
    const flagged = flaggedLabels(labels, settings.safety_flag_threshold).length > 0;
    return { flagged, labels, flag_threshold: settings.safety_flag_threshold, block_threshold: settings.safety_block_threshold };
  });
}
