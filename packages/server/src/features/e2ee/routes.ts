import type { MlsWelcome, Snowflake } from '@parley/protocol';
import { type E2eeDevice, E2eeLimits, e2eeRoutes as e2eeApi } from '@parley/protocol/e2ee';
import type { FastifyInstance } from 'fastify';
import { devicesInConversation, encryptedConversation, ownDevice } from '../../access/e2ee';
import { channelAudience } from '../../access/audience';
import type { AppContext } from '../../context';
import { consumeOrThrow } from '../../core/rate-limits';
import { ApiError, fieldError } from '../../http/errors';
import { routeRegistrar } from '../../http/routes';
import { event } from '../../events/publisher';
import { getUserOrThrow } from '../users/queries';
import { keyBackupRoutes } from './backup';
import { historyRequestRoutes } from './history-requests';
import { checkCommitFraming, checkKeyPackage, checkWelcome } from './framing';

/** Key-package claims one person may make in a window: enough to open a few dozen conversations. */
const CLAIMS_PER_WINDOW = 60;
const CLAIM_WINDOW_SECONDS = 60;
/** Commits one person may post in a window: far above any real use (a join, a leave, a key update), a bound on flooding. */
const COMMITS_PER_WINDOW = 600;
const COMMIT_WINDOW_SECONDS = 60;
/** Devices one person may register in a window: each one announced to everyone they share an encrypted conversation with. */
const DEVICES_PER_WINDOW = 10;
const DEVICE_WINDOW_SECONDS = 3600;

const toDevice = (row: { id: Snowflake; user_id: Snowflake; name: string; created_at: number }): E2eeDevice => ({
  id: row.id,
  user_id: row.user_id,
  name: row.name,
  created_at: new Date(row.created_at).toISOString(),
});

/**
 * The server as MLS's delivery service (protocol/e2ee.ts): devices and their key packages, and
 * each encrypted conversation's commits, ordered one per epoch, with the welcomes they carry.
 * Who may do what: access/e2ee.ts.
 */
export function e2eeRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx;
  const route = routeRegistrar(app, ctx);
  const claims = ctx.limiters({ keyPrefix: 'e2ee-claims', points: CLAIMS_PER_WINDOW, duration: CLAIM_WINDOW_SECONDS });
  const commits = ctx.limiters({ keyPrefix: 'e2ee-commits', points: COMMITS_PER_WINDOW, duration: COMMIT_WINDOW_SECONDS });
  const registrations = ctx.limiters({ keyPrefix: 'e2ee-devices', points: DEVICES_PER_WINDOW, duration: DEVICE_WINDOW_SECONDS });
  keyBackupRoutes(app, ctx);
  historyRequestRoutes(app, ctx);

  /** E2EE_DEVICES_UPDATE to the person and everyone in an encrypted conversation with them: their clients sync the groups. */
  async function announceDevices(userId: Snowflake): Promise<void> {
    const peers = await db
      .selectFrom('channel_members as mine')
      .innerJoin('channels', 'channels.id', 'mine.channel_id')
      .innerJoin('channel_members as theirs', 'theirs.channel_id', 'mine.channel_id')
      .select('theirs.user_id')
      .distinct()
      .where('mine.user_id', '=', userId)
      .where('channels.e2ee', '=', 1)
      .execute();
    const users = [...new Set([userId, ...peers.map((p) => p.user_id)])];
    await ctx.events.publish(event('E2EE_DEVICES_UPDATE', { user_id: userId }, { users }));
  }

  route(e2eeApi.registerDevice, async ({ auth, body }) => {
    await consumeOrThrow(registrations, auth.user.id);
    const count = await db
      .selectFrom('e2ee_devices')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('user_id', '=', auth.user.id)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= E2eeLimits.devicesPerUser) throw new ApiError('MAX_DEVICES');
    const row = { id: ctx.ids.next(), user_id: auth.user.id, name: body.name, created_at: ctx.clock.now() };
    await db.insertInto('e2ee_devices').values(row).execute();
    // Announced with its first key packages (uploadKeyPackages): before them nobody could add it.
    return toDevice(row);
  });

  route(e2eeApi.userDevices, async ({ params }) => {
    await getUserOrThrow(db, params.user_id);
    const rows = await db.selectFrom('e2ee_devices').selectAll().where('user_id', '=', params.user_id).orderBy('id').execute();
    return rows.map(toDevice);
  });

  route(e2eeApi.removeDevice, async ({ auth, params }) => {
    await ownDevice(db, auth.user.id, params.device_id);
    // Its key packages and welcomes go with it (foreign keys).
    await db.deleteFrom('e2ee_devices').where('id', '=', params.device_id).execute();
    await announceDevices(auth.user.id);
  });

  route(e2eeApi.uploadKeyPackages, async ({ auth, params, body }) => {
    await ownDevice(db, auth.user.id, params.device_id);
    body.key_packages.forEach((k, i) => checkKeyPackage(`key_packages.${i}`, k, auth.user.id, params.device_id));
    if (body.last_resort) checkKeyPackage('last_resort', body.last_resort, auth.user.id, params.device_id);
    const first = !(await db.selectFrom('e2ee_key_packages').select('id').where('device_id', '=', params.device_id).limit(1).executeTakeFirst());
    await db.transaction().execute(async (trx) => {
      const held = await trx
        .selectFrom('e2ee_key_packages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('device_id', '=', params.device_id)
        .where('last_resort', '=', 0)
        .executeTakeFirstOrThrow();
      if (Number(held.n) + body.key_packages.length > E2eeLimits.keyPackagesPerDevice) {
        throw fieldError('key_packages', 'BASE_TYPE_MAX_LENGTH', `A device holds at most ${E2eeLimits.keyPackagesPerDevice} unclaimed key packages`);
      }
      if (body.key_packages.length) {
        await trx
          .insertInto('e2ee_key_packages')
          .values(body.key_packages.map((key_package) => ({ id: ctx.ids.next(), device_id: params.device_id, key_package })))
          .execute();
      }
      if (body.last_resort) {
        await trx.deleteFrom('e2ee_key_packages').where('device_id', '=', params.device_id).where('last_resort', '=', 1).execute();
        await trx.insertInto('e2ee_key_packages').values({ id: ctx.ids.next(), device_id: params.device_id, key_package: body.last_resort, last_resort: 1 }).execute();
      }
    });
    const count = await db
      .selectFrom('e2ee_key_packages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('device_id', '=', params.device_id)
      .where('last_resort', '=', 0)
      .executeTakeFirstOrThrow();
    // A new device can now be added: the people it shares encrypted conversations with sync their groups.
    if (first) await announceDevices(auth.user.id);
    return { count: Number(count.n) };
  });

  route(e2eeApi.claimKeyPackages, async ({ auth, body }) => {
    await consumeOrThrow(claims, auth.user.id);
    let devices: { id: Snowflake; user_id: Snowflake }[];
    if (body.user_ids) {
      const userIds = [...new Set(body.user_ids)];
      for (const id of userIds) await getUserOrThrow(db, id);
      devices = await db.selectFrom('e2ee_devices').select(['id', 'user_id']).where('user_id', 'in', userIds).orderBy('id').execute();
    } else {
      const ids = [...new Set(body.device_ids!)];
      devices = await db.selectFrom('e2ee_devices').select(['id', 'user_id']).where('id', 'in', ids).orderBy('id').execute();
      if (devices.length !== ids.length) throw new ApiError('UNKNOWN_DEVICE');
    }
    // Each package is handed out once: deleted in the transaction that reads it (the last-resort one stays).
    return db.transaction().execute(async (trx) => {
      const claimed = [];
      for (const device of devices) {
        const pick = await trx
          .selectFrom('e2ee_key_packages')
          .select(['id', 'key_package', 'last_resort'])
          .where('device_id', '=', device.id)
          .orderBy('last_resort')
          .orderBy('id')
          .limit(1)
          .executeTakeFirst();
        // A device that never uploaded any cannot be added yet (it is announced when it does).
        if (!pick) continue;
        if (pick.last_resort === 0) {
          const taken = await trx.deleteFrom('e2ee_key_packages').where('id', '=', pick.id).executeTakeFirst();
          // Someone else's claim took it between the read and the delete (PostgreSQL): ask again.
          if (taken.numDeletedRows === 0n) throw new ApiError('RATE_LIMITED', { retryAfter: 0.05 });
        }
        claimed.push({ user_id: device.user_id, device_id: device.id, key_package: pick.key_package });
      }
      return claimed;
    });
  });

  route(e2eeApi.welcomes, async ({ auth, params }) => {
    await ownDevice(db, auth.user.id, params.device_id);
    const rows = await db.selectFrom('mls_welcomes').selectAll().where('device_id', '=', params.device_id).orderBy('id').limit(100).execute();
    return rows.map((r): MlsWelcome => ({ id: r.id, channel_id: r.channel_id, device_id: r.device_id, epoch: r.epoch, welcome: r.welcome }));
  });

  route(e2eeApi.deleteWelcome, async ({ auth, params }) => {
    await ownDevice(db, auth.user.id, params.device_id);
    await db.deleteFrom('mls_welcomes').where('id', '=', params.welcome_id).where('device_id', '=', params.device_id).execute();
  });

  route(e2eeApi.conversationDevices, async ({ access }) => {
    const channel = encryptedConversation(access);
    const rows = await db
      .selectFrom('e2ee_devices')
      .innerJoin('channel_members', 'channel_members.user_id', 'e2ee_devices.user_id')
      .selectAll('e2ee_devices')
      .where('channel_members.channel_id', '=', channel.id)
      .where('channel_members.state', '!=', 'declined')
      .orderBy('e2ee_devices.id')
      .execute();
    return rows.map(toDevice);
  });

  route(e2eeApi.groupState, async ({ access }) => {
    const channel = encryptedConversation(access);
    return { channel_id: channel.id, epoch: channel.mls_epoch };
  });

  route(e2eeApi.commits, async ({ access, query }) => {
    const channel = encryptedConversation(access);
    const rows = await db
      .selectFrom('mls_commits')
      .select(['epoch', 'device_id', 'commit'])
      .where('channel_id', '=', channel.id)
      .where('epoch', '>=', query.from_epoch)
      .orderBy('epoch')
      .limit(query.limit)
      .execute();
    return rows.map((r) => ({ channel_id: channel.id, epoch: r.epoch, device_id: r.device_id, commit: r.commit }));
  });

  route(e2eeApi.postCommit, async ({ auth, access, body }) => {
    const channel = encryptedConversation(access);
    await consumeOrThrow(commits, auth.user.id);
    await ownDevice(db, auth.user.id, body.device_id);
    const owners = await devicesInConversation(
      db,
      channel,
      body.welcomes.map((w) => w.device_id),
    );
    checkCommitFraming('commit', body.commit, channel.id, body.epoch);
    body.welcomes.forEach((w, i) => checkWelcome(`welcomes.${i}.welcome`, w.welcome));
    const now = ctx.clock.now();
    const welcomes = body.welcomes.map((w) => ({ id: ctx.ids.next(), device_id: w.device_id, channel_id: channel.id, epoch: body.epoch + 1, welcome: w.welcome, created_at: now }));
    // The first commit for an epoch wins: the conditional update is the ordering point on both engines.
    await db.transaction().execute(async (trx) => {
      const moved = await trx
        .updateTable('channels')
        .set({ mls_epoch: body.epoch + 1 })
        .where('id', '=', channel.id)
        .where('mls_epoch', '=', body.epoch)
        .executeTakeFirst();
      if (moved.numUpdatedRows === 0n) throw new ApiError('MLS_EPOCH_STALE');
      await trx.insertInto('mls_commits').values({ channel_id: channel.id, epoch: body.epoch, device_id: body.device_id, commit: body.commit, created_at: now }).execute();
      if (welcomes.length) await trx.insertInto('mls_welcomes').values(welcomes).execute();
    });
    await ctx.events.publish(
      event('MLS_COMMIT', { channel_id: channel.id, epoch: body.epoch, device_id: body.device_id, commit: body.commit }, await channelAudience(db, channel, access.parent, access)),
      ...welcomes.map((w) => event('MLS_WELCOME', { id: w.id, channel_id: w.channel_id, device_id: w.device_id, epoch: w.epoch, welcome: w.welcome }, { users: [owners.get(w.device_id)!] })),
    );
    return { channel_id: channel.id, epoch: body.epoch + 1 };
  });
}
