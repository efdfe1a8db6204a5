import { z } from 'zod';
import { Snowflake } from './ids';

/** What a user sets. "invisible" shows as offline to everyone else. */
export const PresenceStatus = z.enum(['online', 'idle', 'dnd', 'invisible']);
export type PresenceStatus = z.infer<typeof PresenceStatus>;

/** What others see: never "invisible". */
export const VisibleStatus = z.enum(['online', 'idle', 'dnd', 'offline']);
export type VisibleStatus = z.infer<typeof VisibleStatus>;

/** Discord's presence update object (activities are not modelled yet, always empty). */
export const Presence = z.object({
  user: z.object({ id: Snowflake }),
  guild_id: Snowflake.optional(),
  status: VisibleStatus,
  activities: z.array(z.never()),
  client_status: z.object({ desktop: VisibleStatus.optional(), web: VisibleStatus.optional() }),
});
export type Presence = z.infer<typeof Presence>;
