import { z } from 'zod';
import { Snowflake } from './ids';

/*
 * Per-channel permission overwrites, in Discord's v10 shape. Only the data lives here (so the
 * channel schemas can carry `permission_overwrites` without importing the permission
 * computation); how overwrites combine with roles is permissions.ts's computeOverwrites.
 */

/** Who an overwrite applies to: a role (@everyone's id is the guild's) or one member. */
export const OverwriteType = {
  ROLE: 0,
  MEMBER: 1,
} as const;
export type OverwriteType = (typeof OverwriteType)[keyof typeof OverwriteType];

const MAX_PERMISSION_BITS = 2n ** 64n - 1n;
const PERMISSION_BITS_MESSAGE = 'Must be a permission bit set: a string of up to 20 digits';

/**
 * A permission bit set as a decimal string, as Discord sends them (the bits pass 2^32 and,
 * with PIN_MESSAGES at bit 51, 2^53's precision too, so never a JSON number). At most 64 bits.
 */
export const PermissionBitSet = z
  .string()
  .regex(/^[0-9]{1,20}$/, PERMISSION_BITS_MESSAGE)
  .refine((bits) => !/^[0-9]{1,20}$/.test(bits) || BigInt(bits) <= MAX_PERMISSION_BITS, PERMISSION_BITS_MESSAGE);

/** One overwrite on a channel: bits it allows and denies for one role or member. */
export const PermissionOverwrite = z.object({
  /** A role's id (type 0) or a user's id (type 1). */
  id: Snowflake,
  type: z.literal([OverwriteType.ROLE, OverwriteType.MEMBER]),
  allow: PermissionBitSet,
  deny: PermissionBitSet,
});
export type PermissionOverwrite = z.infer<typeof PermissionOverwrite>;
