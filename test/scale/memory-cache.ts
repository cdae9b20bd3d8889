import type { SnapshotCache } from "../../service/sdk/chain/tree-source.ts";

/** A snapshot cache in memory, for tests (the CLI keeps files, the web app IndexedDB). */
export class MemoryCache implements SnapshotCache {
  readonly entries = new Map<string, Uint8Array>();

  async get(key: string) {
    return this.entries.get(key);
  }

  async put(key: string, bytes: Uint8Array) {
    this.entries.set(key, bytes.slice());
  }
}
