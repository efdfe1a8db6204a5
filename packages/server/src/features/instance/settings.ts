import { DEFAULT_INSTANCE_SETTINGS, InstanceSettings } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables';

/**
 * Instance settings live in the database (not the environment) so an admin can change them at
 * run time and every node sees the change. Unset keys fall back to the defaults.
 */
export class InstanceSettingsStore {
  private recent: { settings: InstanceSettings; at: number } | null = null;

  constructor(private readonly db: Kysely<Tables>) {}

  /**
   * The settings as read at most `maxAgeMs` ago, for hot paths (the safety scan on every send):
   * a change made on this node is seen at once, one made on another node within `maxAgeMs`.
   */
  async cached(maxAgeMs: number): Promise<InstanceSettings> {
    const now = Date.now();
    if (this.recent && now - this.recent.at < maxAgeMs) return this.recent.settings;
    const settings = await this.get();
    this.recent = { settings, at: now };
    return settings;
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
    this.recent = null;
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
