import type { GatewayClient, GatewayEvents } from '@parley/sdk';

/**
 * Gathers what a callback receives, and lets a test wait (bounded) until what it gathered
 * satisfies a condition: waiting for events rather than sleeping for them.
 */
export class Collector<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();

  /** The callback to hand to whatever produces the items. */
  readonly push = (item: T): void => {
    this.items.push(item);
    for (const check of this.waiters) check();
  };

  /** Resolves once `test` holds for the items gathered; rejects after `timeoutMs` naming `what`. */
  until(what: string, test: (items: readonly T[]) => boolean, timeoutMs = 5000): Promise<readonly T[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!test(this.items)) return;
        done();
        resolve(this.items);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (have ${this.items.length})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Waits until at least `count` items arrived. */
  count(count: number, timeoutMs?: number): Promise<readonly T[]> {
    return this.until(`${count} items`, (items) => items.length >= count, timeoutMs);
  }
}

/** Every event of one kind a gateway client receives, from now on. */
export function collect<K extends keyof GatewayEvents>(gateway: GatewayClient, name: K): Collector<GatewayEvents[K]> {
  const collector = new Collector<GatewayEvents[K]>();
  gateway.on(name, collector.push);
  return collector;
}
