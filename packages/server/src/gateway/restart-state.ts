import fs from 'node:fs/promises';
import path from 'node:path';
import { PresenceStatus } from '@parley/protocol';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import type { MemoryEventLog } from '../bus/memory-log';
import type { LogEntry } from '../bus/event-log';
import type { Clock } from '../core/clock';
import type { GatewaySession, MemorySessionStore } from './session-store';

/**
 * A single node keeps its resumable gateway sessions and its event log in memory. So that its
 * clients RESUME across a planned restart (an upgrade, `systemctl restart`) and lose nothing,
 * a graceful shutdown writes both to the data directory, after every client was told to
 * reconnect, and the next start reads them back once, if it comes within the resume window.
 * Several nodes keep both in Redis and need none of this.
 */
const FILE_NAME = 'gateway-restart.json';

const Ids = z.array(z.string()).optional();
const Snapshot = z.object({
  version: z.literal(1),
  savedAt: z.number(),
  log: z.object({
    seq: z.number().int().nonnegative(),
    entries: z.array(
      z.object({
        at: z.number(),
        entry: z.object({
          seq: z.number().int().positive(),
          t: z.string(),
          d: z.string(),
          to: z.object({ guilds: Ids, exceptUsers: Ids, users: Ids, sessions: Ids, signIns: Ids }),
          intent: z.number().int().nonnegative(),
        }),
      }),
    ),
  }),
  sessions: z.array(
    z.object({
      expiresAt: z.number(),
      session: z.object({ id: z.string(), userId: z.string(), bot: z.boolean(), intents: z.number().int().nonnegative(), status: PresenceStatus, largeThreshold: z.number().int().optional() }),
    }),
  ),
});

interface SingleNodeState {
  log: MemoryEventLog;
  sessions: MemorySessionStore;
}

/** Saves the state for the next start; a failure is logged, never thrown: the shutdown goes on. */
export async function saveRestartState(dataDir: string, state: SingleNodeState, clock: Clock, logger: FastifyBaseLogger): Promise<void> {
  const snapshot: z.input<typeof Snapshot> = { version: 1, savedAt: clock.now(), log: state.log.snapshot(), sessions: state.sessions.snapshot() };
  const file = path.join(dataDir, FILE_NAME);
  try {
    // On PostgreSQL, nothing may have created the data directory yet.
    await fs.mkdir(dataDir, { recursive: true });
    // Event payloads are messages and member lists: readable by the server's user only, and never half-written.
    await fs.writeFile(`${file}.tmp`, JSON.stringify(snapshot), { mode: 0o600 });
    await fs.rename(`${file}.tmp`, file);
  } catch (error) {
    logger.warn({ err: error }, 'gateway: could not save sessions for the next start; clients will identify again');
  }
}

/** Restores what the last graceful shutdown saved, then deletes it: it is used at most once. */
export async function restoreRestartState(dataDir: string, state: SingleNodeState, clock: Clock, resumeWindowMs: number, logger: FastifyBaseLogger): Promise<void> {
  const file = path.join(dataDir, FILE_NAME);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return; // No planned restart before this start (a first start, or a crash).
  }
  await fs.rm(file, { force: true });
  let snapshot: z.output<typeof Snapshot>;
  try {
    snapshot = Snapshot.parse(JSON.parse(text));
  } catch (error) {
    logger.warn({ err: error }, 'gateway: the saved restart state is unreadable; clients will identify again');
    return;
  }
  const age = clock.now() - snapshot.savedAt;
  if (age < 0 || age > resumeWindowMs) return;
  state.log.restore({ seq: snapshot.log.seq, entries: snapshot.log.entries as { entry: LogEntry; at: number }[] });
  state.sessions.restore(snapshot.sessions as { session: GatewaySession; expiresAt: number }[]);
  logger.info({ sessions: snapshot.sessions.length, events: snapshot.log.entries.length }, 'gateway: sessions from before the restart can resume');
}
