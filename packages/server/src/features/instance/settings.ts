import { DEFAULT_INSTANCE_SETTINGS, InstanceSettings } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Caches, ReadCache } from '../../cache/caches';
import type { Tables } from '../../db/tables';

/**
 * Instance settings live in the database (not the environment) so an admin can change them at
 * run time and every node sees the change. Unset keys fall back to the defaults.
 */
export class InstanceSettingsStore {
  /** The one settings object, for hot paths; emptied on every node when the table is written (cache/). */
  private readonly recent: ReadCache<'settings', InstanceSettings> | null;

  /** Without caches (the operator CLI, tests reading behind the server's back) `cached()` reads each time. */
  constructor(
    private readonly db: Kysely<Tables>,
    caches?: Caches,
  ) {
    this.recent = caches?.create(['instance_settings'], { max: 1 }) ?? null;
  }

  /**
   * The settings for hot paths (the safety scan on every send), kept per node until they are
   * written on any node (cache/bus.ts: a request first applies every change acknowledged anywhere).
   */
  cached(): Promise<InstanceSettings> {
    return this.recent ? this.recent.load('settings', async () => Object.freeze(await this.get())) : this.get();
  }

  async get(): Promise<InstanceSettings> {
    const rows = await this.db.selectFrom('instance_settings').select(['key', 'value']).execute();
    const stored = Object.fromEntries(rows.map((r) => [r.key, parseJson(r.value)]));
    // A value an older or newer version wrote that no longer fits is ignored, not fatal.
    const merged = { ...DEFAULT_INSTANCE_SETTINGS };
    for (const key of Object.keys(merged) as (keyof InstanceSettings)[]) {
      const field = InstanceSettings.shape[key].safeParse(stored[key]);
      if (field.success) Object.assign(merged, { [key]: field.data });
    }
    return merged;
  }

  async update(changes: Partial<InstanceSettings>): Promise<InstanceSettings> {
    const entries = Object.entries(changes).filter(([, v]) => v !== undefined);
    await this.db.transaction().execute(async (trx) => {
      for (const [key, value] of entries) {
        await trx
          .insertInto('instance_settings')
          .values({ key, value: JSON.stringify(value) })
          .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value) }))
          .execute();
      }
    });
    return this.get();
  }
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** The largest attachment accepted now: the admins' setting, never above the operator's ATTACHMENT_MAX_BYTES. */
export function uploadMaxBytes(settings: Pick<InstanceSettings, 'upload_max_bytes'>, operatorMax: number): number {
  return Math.min(settings.upload_max_bytes ?? operatorMax, operatorMax);
}
