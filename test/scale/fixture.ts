/**
 * A pool on Hardhat's in-process network with one plan, members who join and renew for real, a
 * tree index over it (its SQLite file in a temp folder) and the tree routes on a real HTTP server on
 * 127.0.0.1: what the tree tests need, without the relayer's wallet and verifier.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { network } from "hardhat";
import { pino } from "pino";
import type { PublicClient } from "viem";
import { poolWithPlan } from "../../scripts/lib/deploy.ts";
import { type AssessorKey, generateAssessorKey } from "../../service/sdk/assessor.ts";
import { loadMemberTree, type PoolRef } from "../../service/sdk/chain/pool.ts";
import { createIdentity, type Identity } from "../../service/sdk/identity.ts";
import { TreeIndex } from "../../service/trees/indexer.ts";
import { treeRoutes } from "../../service/trees/routes.ts";
import { TreeStore } from "../../service/trees/store.ts";

export const PERIOD = 30n * 86_400n;

export async function treeChain() {
  const connection = await network.create();
  const { viem, networkHelpers } = connection;
  const publicClient = (await viem.getPublicClient()) as unknown as PublicClient;
  const { deployment, pool, planId, asPayer } = await poolWithPlan(viem, "scale");
  const ref: PoolRef = { client: publicClient, pool: pool.address, fromBlock: deployment.deployBlock };

  async function join(identity: Identity = createIdentity(), periods = 12) {
    await asPayer.write.join([planId, identity.commitment, periods]);
    return identity;
  }

  async function joinMany(count: number) {
    const out: Identity[] = [];
    for (let i = 0; i < count; i++) out.push(await join());
    return out;
  }

  /** Renews `identity` with the path from the tree as events give it. */
  async function renew(identity: Identity, periods = 6) {
    const tree = await loadMemberTree(ref, planId);
    const record = tree.find(identity.commitment);
    if (!record) throw new Error("not a member");
    const path = tree.proof(record);
    await asPayer.write.renew([planId, identity.commitment, periods, path.siblings.slice(0, path.depth)]);
  }

  /** Adds an assessor key to the plan (the admin's transaction). */
  async function addAssessor(key: AssessorKey = generateAssessorKey()) {
    await pool.write.addAssessor([planId, key.publicKey[0], key.publicKey[1]]);
    return key;
  }

  async function chainRoot(): Promise<bigint> {
    const [root] = await pool.read.memberTree([planId]);
    return root;
  }

  return { connection, viem, networkHelpers, publicClient, deployment, pool, planId, ref, join, joinMany, renew, addAssessor, chainRoot };
}

export type TreeChain = Awaited<ReturnType<typeof treeChain>>;

/** A tree index over `chain` with its file in `dataDir` (a fresh temp folder by default), serving on 127.0.0.1. */
export async function treeService(chain: TreeChain, dataDir = mkdtempSync(join(tmpdir(), "huzhu-trees-"))) {
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
