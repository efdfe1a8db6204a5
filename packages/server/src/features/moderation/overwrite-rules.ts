import { OverwriteType, type PermissionOverwrite, type Snowflake } from '@parley/protocol';
import type { Kysely } from 'kysely';
import { requireGrantable } from '../../access/access';
import type { Tables } from '../../db/tables';
import { fieldError } from '../../http/errors';

/**
 * Overwrites someone is about to set, checked: each names a role of this server (type 0) or one
 * of its members (type 1), and carries only permissions the setter holds (`held`: in that
 * channel, or guild-wide for a channel being created). `field` names the body field in errors.
 */
export async function checkOverwrites(db: Kysely<Tables>, guildId: Snowflake, held: bigint, overwrites: readonly PermissionOverwrite[], field: (index: number) => string): Promise<void> {
  const seen = new Set<Snowflake>();
  for (const [index, overwrite] of overwrites.entries()) {
    if (seen.has(overwrite.id)) throw fieldError(field(index), 'BASE_TYPE_INVALID', 'Each role or member has at most one overwrite');
    seen.add(overwrite.id);
    requireGrantable(held, BigInt(overwrite.allow) | BigInt(overwrite.deny));
    const exists =
      overwrite.type === OverwriteType.ROLE
        ? await db.selectFrom('roles').select('id').where('guild_id', '=', guildId).where('id', '=', overwrite.id).executeTakeFirst()
        : await db.selectFrom('members').select('user_id').where('guild_id', '=', guildId).where('user_id', '=', overwrite.id).executeTakeFirst();
    if (!exists) throw fieldError(field(index), 'BASE_TYPE_INVALID', overwrite.type === OverwriteType.ROLE ? 'Not a role of this server' : 'Not a member of this server');
  }
}
