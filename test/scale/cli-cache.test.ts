/**
 * The CLI's snapshot cache under HUZHU_HOME/trees: the first load downloads the whole snapshot and
 * writes it there, the next (after more joins) downloads only the update and rewrites the file; a
 * corrupt file is ignored and replaced by a fresh download.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileSnapshotCache } from "../../service/cli/lib/trees.ts";
import { loadMemberTreeFromServices } from "../../service/sdk/chain/tree-source.ts";
import { decodeSnapshot } from "../../service/sdk/tree-snapshot.ts";
import { type TreePool, treePool } from "../../testkit/pool.ts";
import { treeService } from "./fixture.ts";

describe("CLI snapshot cache", () => {
  let chain: TreePool;
  let service: Awaited<ReturnType<typeof treeService>>;
  const home = mkdtempSync(join(tmpdir(), "huzhu-home-"));
  const dir = join(home, "trees");

  beforeAll(async () => {
    chain = await treePool();
    await chain.joinMany(20);
    service = await treeService(chain);
    await service.index.sync();
  }, 120_000);

  afterAll(async () => {
    await service?.close();
  });

  it("writes the snapshot under HUZHU_HOME/trees and downloads only the update next time", async () => {
    const previous = process.env.HUZHU_HOME;
    process.env.HUZHU_HOME = home;
    try {
      const cache = new FileSnapshotCache();
      expect(cache.dir).toBe(dir);
      const member = await chain.join();
      await service.index.sync();
      const first = await loadMemberTreeFromServices(chain.ref, chain.planId, {
        servers: [service.url],
        cache,
        commitment: member.commitment,
      });
      expect(first.source).toBe("snapshot");
      const [file] = readdirSync(dir);
      expect(file).toBe(`31337-${chain.pool.address.toLowerCase()}-${chain.planId}.tree`);
      expect(decodeSnapshot(new Uint8Array(readFileSync(join(dir, file as string)))).head.root).toBe(first.root);

      await chain.joinMany(2);
      await service.index.sync();
      const second = await loadMemberTreeFromServices(chain.ref, chain.planId, {
        servers: [service.url],
        cache,
        commitment: member.commitment,
      });
      expect(second).toMatchObject({ source: "update", root: await chain.chainRoot() });
      expect(second.downloadedBytes).toBeLessThan(first.downloadedBytes);
      expect(decodeSnapshot(new Uint8Array(readFileSync(join(dir, file as string)))).head).toMatchObject({ root: second.root, size: 23 });

      // A corrupt cache file is ignored: the whole snapshot again, and the file replaced.
      writeFileSync(join(dir, file as string), "not a snapshot");
      const third = await loadMemberTreeFromServices(chain.ref, chain.planId, {
        servers: [service.url],
        cache,
        commitment: member.commitment,
      });
      expect(third).toMatchObject({ source: "snapshot", root: second.root, refused: [] });
      expect(decodeSnapshot(new Uint8Array(readFileSync(join(dir, file as string)))).head.root).toBe(second.root);
    } finally {
      if (previous === undefined) delete process.env.HUZHU_HOME;
      else process.env.HUZHU_HOME = previous;
    }
  });
});
