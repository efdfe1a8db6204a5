import { randomInt } from 'node:crypto';
import { SNOWFLAKE_EPOCH, type Snowflake } from '@parley/protocol';
import type { Clock } from './clock';

/**
 * Discord-layout snowflakes: 42 bits of milliseconds since the epoch, 10 bits of worker ID,
 * 12 bits of per-millisecond sequence. Unique across nodes as long as worker IDs differ.
 */
export class SnowflakeGenerator {
  private lastMillis = -1n;
  private sequence = 0n;
  private readonly worker: bigint;

  constructor(
    private readonly clock: Clock,
    workerId: number | null,
  ) {
    this.worker = BigInt(workerId ?? randomInt(1024));
  }

  next(): Snowflake {
    let millis = BigInt(this.clock.now()) - SNOWFLAKE_EPOCH;
    // A clock that steps backwards must not produce duplicates: keep counting from the last time.
    if (millis < this.lastMillis) millis = this.lastMillis;
    if (millis === this.lastMillis) {
      this.sequence = (this.sequence + 1n) & 0xfffn;
      // 4096 IDs used up in this millisecond: borrow the next one.
      if (this.sequence === 0n) millis += 1n;
    } else {
      this.sequence = 0n;
    }
    this.lastMillis = millis;
    return ((millis << 22n) | (this.worker << 12n) | this.sequence).toString() as Snowflake;
  }
}
