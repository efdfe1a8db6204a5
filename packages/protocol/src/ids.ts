import { z } from 'zod';

/**
 * Discord's epoch (2015-01-01T00:00:00Z). Parley uses it too, so Discord libraries that read the
 * creation time out of an ID (discord.js `SnowflakeUtil.timestampFrom`) get the right date.
 */
export const SNOWFLAKE_EPOCH = 1_420_070_400_000n;

const MAX_SNOWFLAKE = 2n ** 63n - 1n;

/**
 * A snowflake: a 64-bit ID sent as a decimal string (JSON numbers lose precision past 2^53).
 * IDs sort by creation time, which is what history paging relies on.
 */
export const Snowflake = z
  .string()
  .regex(/^[0-9]{1,20}$/, 'Must be an ID: a string of up to 20 digits')
  // Stored as a signed 64-bit integer: anything larger could never name a row.
  .refine((id) => !/^[0-9]{1,20}$/.test(id) || BigInt(id) <= MAX_SNOWFLAKE, 'Must be an ID: a string of up to 20 digits')
  .brand<'Snowflake'>();
export type Snowflake = z.infer<typeof Snowflake>;

/** The creation time, in epoch milliseconds, encoded in a snowflake. */
export function snowflakeTimestamp(id: Snowflake | string): number {
  return Number((BigInt(id) >> 22n) + SNOWFLAKE_EPOCH);
}
