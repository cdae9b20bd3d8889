/**
 * The member-tree tests' pool (the kit's `treePool`: one plan, members who join and renew for
 * real) and a tree index over it, its SQLite file in a temp folder, with the tree routes on a real
 * HTTP server on 127.0.0.1: what the tree tests need, without the relayer's wallet and verifier.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { pino } from "pino";
import { TreeIndex } from "../../service/trees/indexer.ts";
import { treeRoutes } from "../../service/trees/routes.ts";
import { TreeStore } from "../../service/trees/store.ts";
import type { TreePool } from "../../testkit/pool.ts";

/** A tree index over `chain` with its file in `dataDir` (a fresh temp folder by default), serving on 127.0.0.1. */
export async function treeService(chain: TreePool, dataDir = mkdtempSync(join(tmpdir(), "huzhu-trees-"))) {
  const chainId = await chain.publicClient.getChainId();
  const store = new TreeStore(dataDir, { chainId, pool: chain.pool.address });
  const index = TreeIndex.open({ ref: chain.ref, chainId, store, log: pino({ level: "silent" }) });
  const app = Fastify();
  await app.register(treeRoutes, { prefix: "/v1", trees: index });
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    index,
    store,
    dataDir,
    url,
    async close() {
      await app.close();
      store.close();
    },
  };
}
