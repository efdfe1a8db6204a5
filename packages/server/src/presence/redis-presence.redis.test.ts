import type { Snowflake } from '@parley/protocol';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../testing/collector';
import { connectTestRedis, deleteKeys, testRedisPrefix } from '../testing/redis';
import type { StatusChange } from './presence-store';
import { RedisPresenceStore } from './redis-presence';

const prefix = testRedisPrefix();
const quiet = { warn: () => undefined, error: () => undefined };
const ids = { ada: '101' as Snowflake, bob: '102' as Snowflake, cy: '103' as Snowflake };

let admin: Redis;
const opened: { close(): Promise<unknown> }[] = [];

beforeAll(async () => {
  admin = await connectTestRedis();
});
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
  await deleteKeys(admin, prefix);
});
afterAll(() => admin.quit());

/** A node's presence store on its own connection, with the background changes it reports. */
async function node(nodeTimeoutMs = 60_000) {
  const redis = await connectTestRedis();
  const store = await RedisPresenceStore.open(redis, { prefix, nodeTimeoutMs, logger: quiet });
  const changes = new Collector<[Snowflake, StatusChange]>();
  store.onBackgroundChange((userId, change) => changes.push([userId, change]));
  opened.push({ close: () => redis.quit().catch(() => undefined) }, store);
  return { store, changes, redis };
}

describe('RedisPresenceStore', () => {
  it('aggregates a user’s sessions across nodes: online until the last one goes, with one chosen status', async () => {
    const a = await node();
    const b = await node();
    expect(await a.store.connect(ids.ada, 's1', 'online')).toEqual({ before: 'offline', after: 'online' });
    expect(await b.store.connect(ids.ada, 's2', 'online')).toEqual({ before: 'online', after: 'online' });
    expect(await b.store.setStatus(ids.ada, 'dnd')).toEqual({ before: 'online', after: 'dnd' });
    expect(await a.store.visible([ids.ada, ids.bob])).toEqual(new Map([[ids.ada, 'dnd']]));
    expect(await a.store.chosen(ids.ada)).toBe('dnd');

    expect(await a.store.disconnect(ids.ada, 's1')).toEqual({ before: 'dnd', after: 'dnd' });
    expect(await b.store.disconnect(ids.ada, 's2')).toEqual({ before: 'dnd', after: 'offline' });
    expect(await a.store.chosen(ids.ada)).toBeNull();
    // Setting a status while offline changes nothing: there is no session to carry it.
    expect(await a.store.setStatus(ids.ada, 'idle')).toEqual({ before: 'offline', after: 'offline' });
    expect(await a.store.visible([ids.ada])).toEqual(new Map());
  });

  it('shows invisible users as offline to others, while their own sessions know the status', async () => {
    const a = await node();
    expect(await a.store.connect(ids.bob, 's1', 'invisible')).toEqual({ before: 'offline', after: 'offline' });
    expect(await a.store.visible([ids.bob])).toEqual(new Map());
    expect(await a.store.chosen(ids.bob)).toBe('invisible');
    expect(await a.store.setStatus(ids.bob, 'idle')).toEqual({ before: 'offline', after: 'idle' });
    expect(await a.store.disconnect(ids.bob, 's1')).toEqual({ before: 'idle', after: 'offline' });
  });

  it('sweeps the sessions of a node that died, reporting who went offline', async () => {
    const doomed = await node(600);
    const survivor = await node(600);
    await doomed.store.connect(ids.ada, 'd1', 'idle'); // only on the doomed node
    await doomed.store.connect(ids.bob, 'd2', 'online'); // also on the survivor
    await survivor.store.connect(ids.bob, 's1', 'online');
    await doomed.store.connect(ids.cy, 'd3', 'invisible'); // looked offline already

    // As kill -9 would: the node stops talking to Redis without cleaning anything up.
    doomed.redis.disconnect();
    const [change] = await survivor.changes.count(1, 5000);
    expect(change).toEqual([ids.ada, { before: 'idle', after: 'offline' }]);
    expect(await survivor.store.visible([ids.ada, ids.bob, ids.cy])).toEqual(new Map([[ids.bob, 'online']]));
    expect(await survivor.store.chosen(ids.cy)).toBeNull();
    // Bob's own sessions still count: his last one going takes him offline.
    expect(await survivor.store.disconnect(ids.bob, 's1')).toEqual({ before: 'online', after: 'offline' });
    expect(survivor.changes.items).toHaveLength(1);
  });

  it('lets the other nodes sweep a node that closed, at their next refresh', async () => {
    const leaving = await node(60_000);
    const staying = await node(600);
    await leaving.store.connect(ids.ada, 'l1', 'online');
    await leaving.store.close();
    expect(await staying.changes.count(1, 2000)).toEqual([[ids.ada, { before: 'online', after: 'offline' }]]);
  });

  it('registers its sessions again when it finds it was presumed dead (here: Redis lost its data)', async () => {
    const a = await node(300);
    await a.store.connect(ids.ada, 's1', 'online');
    await a.store.connect(ids.bob, 's2', 'online');
    await a.store.setStatus(ids.bob, 'dnd');
    await a.store.connect(ids.bob, 's3', 'dnd');
    await a.store.disconnect(ids.ada, 's1');
    await deleteKeys(admin, prefix);
    expect(await a.changes.count(1, 2000)).toEqual([[ids.bob, { before: 'offline', after: 'dnd' }]]);
    expect(await a.store.visible([ids.ada, ids.bob])).toEqual(new Map([[ids.bob, 'dnd']]));
    expect(await a.store.disconnect(ids.bob, 's2')).toEqual({ before: 'dnd', after: 'dnd' });
    expect(await a.store.disconnect(ids.bob, 's3')).toEqual({ before: 'dnd', after: 'offline' });
  });
});
