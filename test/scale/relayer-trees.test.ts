/**
 * The relayer hosts the tree index: a real relayer process on a real chain serves the plan's
 * snapshot, a member's claim takes its member tree from it (verified against the pool) and is paid,
 * and the member's next claim, after more joins, downloads only the update since its cached root.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinMembers, type RelayerProcess, spawnRelayer } from "../../scripts/lib/stack.ts";
import type { LoadedMemberTree, SnapshotCache } from "../../service/sdk/chain/tree-source.ts";
import { createIdentity, type Identity, releaseProver } from "../../service/sdk/index.ts";
import { getQuote, makeClaim, postClaim, relayerEnv, type Stack, startStack, waitForStatus } from "../../testkit/relayer-stack.ts";
import { MemoryCache } from "./memory-cache.ts";

const DUSD = 1_000_000n;

let stack: Stack;
let relayer: RelayerProcess;

/** Waits until the relayer's index holds the plan at the pool's current root. */
async function indexedAt(root: bigint): Promise<void> {
  for (;;) {
    const response = await fetch(`${relayer.url}/v1/plans/1/tree/head`);
    if (response.status === 200 && (await response.json()).root === root.toString()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function poolRoot(): Promise<bigint> {
  const { huzhuPoolAbi } = await import("../../service/sdk/chain/abi.ts");
  const [root] = await stack.client.readContract({ address: stack.pool, abi: huzhuPoolAbi, functionName: "memberTree", args: [1n] });
  return root;
}

async function claimThroughRelayer(member: Identity, cache: SnapshotCache) {
  const quote = await getQuote(relayer.url, 10n * DUSD);
  let tree: Omit<LoadedMemberTree, "tree"> | undefined;
  const { body } = await makeClaim(stack, member, quote, "0x000000000000000000000000000000000000dEaD", {
    trees: { servers: [relayer.url], cache, fallbackToEvents: false },
    onMemberTree: (loaded) => {
      tree = loaded;
    },
  });
  const accepted = await postClaim(relayer.url, body);
  expect(accepted.status).toBe(202);
  const status = await waitForStatus(relayer.url, accepted.body.id as string, ["confirmed", "failed"]);
  return { status, tree };
}

beforeAll(async () => {
  stack = await startStack(3);
  relayer = await spawnRelayer(relayerEnv(stack));
}, 180_000);

afterAll(async () => {
  await relayer?.stop("SIGKILL");
  await stack?.chain.stop();
  await releaseProver();
});

describe("relayer as tree service", () => {
  it("serves the plan's snapshot; a claim built from it is paid, and the next claim downloads only the update", async () => {
    await indexedAt(await poolRoot());
    const cache = new MemoryCache();
    const first = await claimThroughRelayer(stack.members[0] as Identity, cache);
    expect(first.status.status).toBe("confirmed");
    expect(first.tree).toMatchObject({ source: "snapshot", server: relayer.url, root: await poolRoot(), refused: [] });

    const newcomer = createIdentity();
    await joinMembers(stack.chain.rpcUrl, stack.deployment.record, [newcomer], 12, 6);
    await indexedAt(await poolRoot());
    const second = await claimThroughRelayer(newcomer, cache);
    expect(second.status.status).toBe("confirmed");
    expect(second.tree).toMatchObject({ source: "update", root: await poolRoot(), refused: [] });
    expect(second.tree?.downloadedBytes).toBeLessThan(first.tree?.downloadedBytes ?? 0);
  });
});
