/*
 * Records kept in IndexedDB and encrypted at rest: AES-GCM under a key the browser generated
 * as non-extractable, so the page can use it but no script can read it out, and a copy of the
 * database files alone opens nothing. (This browser's encryption device, its search indexes.)
 */

interface Sealed {
  key: CryptoKey;
  iv: Uint8Array<ArrayBuffer>;
  data: ArrayBuffer;
}

/** Each record's key, once read or made: a write does not read its record back first. */
const keys = new Map<string, CryptoKey>();

function open(database: string, table: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(database, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(table);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB is not available'));
  });
}

/** One table of sealed records, by key: JSON values in, JSON values out. */
export function sealedTable<T>(database: string, table: string) {
  async function transact<R>(mode: IDBTransactionMode, work: (store: IDBObjectStore) => IDBRequest<R>): Promise<R> {
    const db = await open(database, table);
    try {
      return await new Promise<R>((resolve, reject) => {
        const transaction = db.transaction(table, mode);
        const request = work(transaction.objectStore(table));
        // Resolved once the transaction is committed, not when its request succeeded: a page that
        // goes right after (a reload) must find the write there.
        transaction.oncomplete = () => resolve(request.result);
        transaction.onerror = transaction.onabort = () => reject(transaction.error ?? request.error ?? new Error('IndexedDB transaction failed'));
      });
    } finally {
      db.close();
    }
  }

  return {
    async get(key: string): Promise<T | null> {
      const sealed = await transact<Sealed | undefined>('readonly', (t) => t.get(key));
      if (!sealed) return null;
      const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: sealed.iv }, sealed.key, sealed.data);
      return JSON.parse(new TextDecoder().decode(plain)) as T;
    },
    async put(key: string, value: T): Promise<void> {
      const cached = `${database}/${table}/${key}`;
      let cryptoKey = keys.get(cached) ?? (await transact<Sealed | undefined>('readonly', (t) => t.get(key)))?.key;
      cryptoKey ??= await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      keys.set(cached, cryptoKey);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, cryptoKey, new TextEncoder().encode(JSON.stringify(value)));
      await transact('readwrite', (t) => t.put({ key: cryptoKey, iv, data } satisfies Sealed, key));
    },
    async delete(range: string | IDBKeyRange): Promise<void> {
      // Simplest correct: forget this table's cached keys (the next write reads its record's again).
      for (const cached of [...keys.keys()]) if (cached.startsWith(`${database}/${table}/`)) keys.delete(cached);
      await transact('readwrite', (t) => t.delete(range));
    },
  };
}
