import { DEFAULT_INSTANCE_SETTINGS, InstanceSettings } from '@parley/protocol';
import type { Kysely } from 'kysely';
import type { Tables } from '../../db/tables';

/**
 * Instance settings live in the database (not the environment) so an admin can change them at
 * run time and every node sees the change. Unset keys fall back to the defaults.
 */
export class InstanceSettingsStore {
  constructor(private readonly db: Kysely<Tables>) {}

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
