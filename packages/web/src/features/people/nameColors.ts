import type { Snowflake } from '@parley/protocol';
import { nameColor, roleColorHex } from '@parley/sdk';
import { readableColor } from '../../ui/contrast';
import { activeTheme } from '../../ui/theme';
import { useRealtime } from '../realtime/store';

/**
 * Names in their highest colored role's color (the SDK's nameColor), made readable on the
 * theme in effect (ui/contrast). Null where no role colors them: the normal text color.
 */
export function useNameColors() {
  const realtime = useRealtime();
  const readable = (hex: string) => readableColor(hex, activeTheme.value);
  return {
    ofMember(guildId: Snowflake | null, userId: Snowflake): string | null {
      const color = guildId && realtime.cache ? nameColor(realtime.cache, guildId, userId) : null;
      return color ? readable(color) : null;
    },
    ofRole(guildId: Snowflake | null, roleId: Snowflake): string | null {
      const color = guildId ? realtime.cache?.guilds.get(guildId)?.roles.find((r) => r.id === roleId)?.color : 0;
      return color ? readable(roleColorHex(color)) : null;
    },
  };
}
