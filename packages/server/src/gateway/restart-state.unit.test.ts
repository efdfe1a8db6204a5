import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '../bus/memory-log';
import { restoreRestartState, saveRestartState } from './restart-state';
import { MemorySessionStore } from './session-store';

const windowMs = 300_000;
const stateAt = (now: number) => {
  const clock = { now: () => now };
  return { clock, log: new MemoryEventLog(clock, { windowMs, maxEntries: 100 }), sessions: new MemorySessionStore(clock, windowMs) };
};
const logger = { info: () => undefined, warn: () => undefined } as never;

describe('restart state', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'parley-restart-'));
  });
  afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

  const saved = async (savedAt: number) => {
    const before = stateAt(savedAt);
    await before.log.append([{ t: 'TYPING_START', d: '{}', to: { users: ['1' as never] }, intent: 0 }]);
    await before.sessions.save({ id: 's1', userId: '1' as never, bot: false, intents: 0, status: 'online' });
    await saveRestartState(dataDir, before, before.clock, logger);
  };

  it('hands sessions and entries to a start within the resume window', async () => {
    await saved(1_000);
    const after = stateAt(61_000);
    await restoreRestartState(dataDir, after, after.clock, windowMs, logger);
    expect(await after.sessions.get('s1')).toMatchObject({ userId: '1' });
    expect(await after.log.readAfter(0)).toHaveLength(1);
  });

  it('ignores a state older than the resume window, and deletes it either way', async () => {
    await saved(1_000);
    const after = stateAt(1_000 + windowMs + 1);
    await restoreRestartState(dataDir, after, after.clock, windowMs, logger);
    expect(await after.sessions.get('s1')).toBeNull();
    expect(await after.log.head()).toBe(0);
    await expect(fs.readdir(dataDir)).resolves.toEqual([]);
  });

  it('ignores a state of the wrong shape', async () => {
    await fs.writeFile(path.join(dataDir, 'gateway-restart.json'), JSON.stringify({ version: 1, savedAt: 0, log: { seq: -1, entries: [] }, sessions: [] }));
    const after = stateAt(10);
    await restoreRestartState(dataDir, after, after.clock, windowMs, logger);
    expect(await after.log.head()).toBe(0);
  });

  it('creates a missing data directory, and never throws on a write that fails', async () => {
    const state = stateAt(0);
    const missing = path.join(dataDir, 'not', 'yet');
    await saveRestartState(missing, state, state.clock, logger);
    await expect(fs.readdir(missing)).resolves.toEqual(['gateway-restart.json']);
    const warnings: unknown[] = [];
    const blocked = path.join(dataDir, 'a-file');
    await fs.writeFile(blocked, '');
    await saveRestartState(blocked, state, state.clock, { info: () => undefined, warn: (...args: unknown[]) => warnings.push(args) } as never);
    expect(warnings).toHaveLength(1);
  });
});
