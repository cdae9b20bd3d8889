/**
 * A closing plan at the relayer, on a real chain with a relayer process: in the grace period after
 * the closing epoch a claim names the closing epoch (the member is proven covered as of it) and is
 * paid; once the plan's claims have ended, a claim is refused CLAIMS_CLOSED before anything else
 * is checked or stored.
 */
import { createWalletClient, http } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEV_ROLES, type RelayerProcess, spawnRelayer } from "../../scripts/lib/stack.ts";
import { huzhuPoolAbi, type Identity } from "../../service/sdk/index.ts";
import {
  devAccount,
  getQuote,
  makeClaim,
  paidEvents,
  postClaim,
  relayerEnv,
  type Stack,
  startStack,
  waitForStatus,
} from "../../testkit/relayer-stack.ts";

let stack: Stack;
let node: RelayerProcess;

async function rpc(method: string, params: unknown[] = []) {
  await fetch(stack.chain.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
}

/** Moves the chain's clock on by whole periods of the demo plan (one day each) and mines. */
async function advanceDays(days: number) {
  await rpc("evm_increaseTime", [days * 86_400]);
  await rpc("evm_mine");
}

beforeAll(async () => {
  stack = await startStack(2);
  const admin = createWalletClient({ account: devAccount(DEV_ROLES.admin).account, transport: http(stack.chain.rpcUrl) });
  const send = async (functionName: "setClaimGracePeriods" | "announceClosing", args: readonly [bigint, bigint | number]) => {
    const hash = await admin.writeContract({ address: stack.pool, abi: huzhuPoolAbi, functionName, args: args as never, chain: null });
    await stack.client.waitForTransactionReceipt({ hash });
  };
  await send("setClaimGracePeriods", [1n, 1]);
  const epoch = await stack.client.readContract({ address: stack.pool, abi: huzhuPoolAbi, functionName: "currentEpoch", args: [1n] });
  await send("announceClosing", [1n, epoch]);
  // Into the grace period: the epoch after the closing one.
  await advanceDays(1);
  node = await spawnRelayer(relayerEnv(stack, { HUZHU_QUOTE_TTL_SECONDS: "86400" }));
}, 240_000);

afterAll(async () => {
  await node?.stop();
  await stack?.chain.stop();
});

describe("a closing plan at the relayer", () => {
  let late: Awaited<ReturnType<typeof makeClaim>>;

  it("pays a claim in the grace period that names the closing epoch", async () => {
    const closingEpoch =
      (await stack.client.readContract({ address: stack.pool, abi: huzhuPoolAbi, functionName: "currentEpoch", args: [1n] })) - 1n;
    const claim = await makeClaim(
      stack,
      stack.members[0] as Identity,
      await getQuote(node.url, 2_000_000n),
      "0x00000000000000000000000000000000000c1051",
    );
    expect(claim.built.request.claimEpoch).toBe(closingEpoch);
    const accepted = await postClaim(node.url, claim.body);
    expect(accepted.status).toBe(202);
    const done = await waitForStatus(node.url, accepted.body.id as string, ["confirmed", "failed"]);
    expect(done.status).toBe("confirmed");
    expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
    // Made now, sent after the claims end.
    late = await makeClaim(
      stack,
      stack.members[1] as Identity,
      await getQuote(node.url, 2_000_000n),
      "0x00000000000000000000000000000000000c1052",
    );
  });

  it("refuses a claim once the plan's claims have ended with CLAIMS_CLOSED, and stores nothing", async () => {
    await advanceDays(1);
    const refused = await postClaim(node.url, late.body);
    expect(refused).toMatchObject({
      status: 422,
      body: { code: "CLAIMS_CLOSED", message: "plan 1 is closed: its claims have ended, and no claim can be paid" },
    });
    expect(await paidEvents(stack, late.body.request.nullifier)).toHaveLength(0);
    // Nothing was stored: the same body again gets the same refusal, not a duplicate's answer.
    expect((await postClaim(node.url, late.body)).body).toMatchObject({ code: "CLAIMS_CLOSED" });
  });
});
