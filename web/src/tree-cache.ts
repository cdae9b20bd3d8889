/**
 * The web app's member tree snapshots, kept in IndexedDB (database "huzhu-trees", one entry per
 * chain, pool and plan) so that a second claim downloads only what changed since the cached root.
 * Works in the page and in the prover's Web Worker. A browser without IndexedDB (or one that
 * refuses it, as private windows may) simply caches nothing.
 */
import type { SnapshotCache } from "../../service/sdk/chain/tree-source.ts";

const DB_NAME = "huzhu-trees";
const STORE = "snapshots";

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB refused to open"));
  });
}

function run<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const request = act(tx.objectStore(STORE));
        tx.oncomplete = () => {
          db.close();
          resolve(request.result);
        };
        tx.onerror = () => {
          db.close();
          reject(tx.error ?? new Error("IndexedDB transaction failed"));
        };
      }),
  );
}

export class IndexedDbSnapshotCache implements SnapshotCache {
  async get(key: string): Promise<Uint8Array | undefined> {
    if (typeof indexedDB === "undefined") return undefined;
    const value = await run("readonly", (store) => store.get(key) as IDBRequest<ArrayBuffer | undefined>).catch(() => undefined);
    return value ? new Uint8Array(value) : undefined;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    if (typeof indexedDB === "undefined") return;
    const copy = bytes.slice().buffer;
    await run("readwrite", (store) => store.put(copy, key)).catch(() => undefined);
  }
}
