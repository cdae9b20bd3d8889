/**
 * Event scans within an RPC provider's range limit: a provider (here, the real chain behind a
 * transport that refuses, as public providers do, any eth_getLogs over more than 3 blocks) is read
 * in spans halved after each refusal and tried again; a provider that keeps refusing stops the scan
 * with what to do.
 */
import { createPublicClient, custom, type PublicClient } from "viem";
import { beforeAll, describe, expect, it } from "vitest";
import { loadMemberTree, memberEvents, type PoolRef } from "../../service/sdk/chain/pool.ts";
import { type TreePool, treePool } from "../../testkit/pool.ts";

const LIMIT = 3n;

describe("event scans", () => {
  let chain: TreePool;
  const spans: bigint[] = [];
  let limited: PublicClient;

  beforeAll(async () => {
    chain = await treePool();
    await chain.joinMany(12);
    limited = createPublicClient({
      transport: custom(
        {
          async request({ method, params }) {
            if (method === "eth_getLogs") {
              const [filter] = params as [{ fromBlock: string; toBlock: string }];
              const span = BigInt(filter.toBlock) - BigInt(filter.fromBlock) + 1n;
              spans.push(span);
              if (span > LIMIT) throw new Error(`query exceeds the maximum block range of ${LIMIT}`);
            }
            return chain.publicClient.request({ method, params } as never);
          },
        },
        { retryCount: 0 },
      ),
    }) as PublicClient;
  }, 120_000);

  it("halves the span after a refusal, tries again, and reads every event", async () => {
    const ref: PoolRef = { ...chain.ref, client: limited, logChunk: 20n };
    const tree = await loadMemberTree(ref, chain.planId);
    expect(tree.root).toBe(await chain.chainRoot());
    expect(tree.size).toBe(12);
    // The whole chain (fewer than 20 blocks) refused, then half, then a quarter, then spans of 2 to the end.
    const whole = (await chain.publicClient.getBlockNumber()) - (chain.ref.fromBlock ?? 0n) + 1n;
    expect(spans.slice(0, 4)).toEqual([whole, 10n, 5n, 2n]);
    expect(spans.slice(3).every((span) => span <= LIMIT)).toBe(true);
  });

  it("stops after logRetries refusals, naming the blocks and what to change", async () => {
    const ref: PoolRef = { ...chain.ref, client: limited, logChunk: 40n, logRetries: 2 };
    const from = chain.ref.fromBlock ?? 0n;
    const latest = await chain.publicClient.getBlockNumber();
    await expect(memberEvents(ref, chain.planId)).rejects.toThrow(
      `eth_getLogs over blocks ${from}-${latest} failed 2 times (query exceeds the maximum block range of 3): check the RPC endpoint, or give a smaller log span (logChunk / --log-chunk)`,
    );
  });
});
