/**
 * Faults with real processes: the relayer killed (SIGKILL) between accepting and confirming a
 * claim, the chain connection cut and restored, and another party paying the same claim first.
 * In each case the claim is paid exactly once.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Address, createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifierPids } from "../../scripts/lib/loopback.ts";
import { freePort, type RelayerProcess, rpc, spawnRelayer } from "../../scripts/lib/stack.ts";
import { ProofVerifier } from "../../service/relayer/verifier.ts";
import { huzhuPoolAbi, releaseProver } from "../../service/sdk/index.ts";
import {
  devAccount,
  getQuote,
  makeClaim,
  paidEvents,
  postClaim,
  RELAYER_ACCOUNT,
  relayerEnv,
  type Stack,
  startStack,
  TcpProxy,
  tokenBalance,
  until,
  waitForStatus,
} from "../../testkit/relayer-stack.ts";

const RELAYER = RELAYER_ACCOUNT;
let stack: Stack;
const running: RelayerProcess[] = [];

/** The relayer's environment with its logs at info level, against `rpcUrl` (a proxy or the node). */
function envFor(rpcUrl: string, dataDir?: string): Record<string, string> {
  return relayerEnv(stack, {
    HUZHU_RPC_URL: rpcUrl,
    HUZHU_LOG_LEVEL: "info",
    ...(dataDir === undefined ? {} : { HUZHU_RELAYER_DATA_DIR: dataDir }),
  });
}

async function relayer(env: Record<string, string>): Promise<RelayerProcess> {
  const process = await spawnRelayer(env);
  running.push(process);
  return process;
}

/** Submits a claim, retrying only the documented retryable refusal; no request may take longer than 20 s. */
async function submitUntilAnswered(url: string, body: unknown) {
  return until(
    async () => {
      const response = await fetch(`${url}/v1/claims`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(20_000),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    (reply) => !(reply.status === 503 && reply.body.code === "VERIFIER_UNAVAILABLE"),
    "an answer other than VERIFIER_UNAVAILABLE",
  );
}

const recipient = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as Address;

beforeAll(async () => {
  stack = await startStack(3);
}, 180_000);

afterAll(async () => {
  for (const process of running) await process.stop("SIGKILL");
  await stack?.chain.stop();
  await releaseProver();
});

describe("relayer faults", () => {
  it("pays a claim exactly once when the relayer is killed between accepting and confirming it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "huzhu-relayer-"));
    const first = await relayer(envFor(stack.chain.rpcUrl, dataDir));
    const claim = await makeClaim(stack, stack.members[0] as never, await getQuote(first.url, 1_000_000n), recipient(0xb1));
    const nonceBefore = await stack.client.getTransactionCount({ address: RELAYER.address });

    await rpc(stack.chain.rpcUrl, "evm_setAutomine", [false]);
    const accepted = await postClaim(first.url, claim.body);
    expect(accepted.status).toBe(202);
    const sent = await waitForStatus(first.url, accepted.body.id as string, ["submitted"]);
    expect(sent.txHash).toMatch(/^0x/);
    expect(await first.stop("SIGKILL")).toBe(null);

    const second = await relayer(envFor(stack.chain.rpcUrl, dataDir));
    expect(second.output()).toContain('"resuming":1');
    await rpc(stack.chain.rpcUrl, "evm_mine");
    await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
    const done = await waitForStatus(second.url, accepted.body.id as string, ["confirmed", "failed"]);
    expect(done.status).toBe("confirmed");
    expect(done.txHash).toBe(sent.txHash);
    expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
    expect(await stack.client.getTransactionCount({ address: RELAYER.address })).toBe(nonceBefore + 1);
    expect(await tokenBalance(stack, recipient(0xb1))).toBe(990_000n);
    await second.stop();
  });

  it("shuts down cleanly on SIGTERM with a claim in flight and finishes it after a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "huzhu-relayer-"));
    const first = await relayer(envFor(stack.chain.rpcUrl, dataDir));
    const claim = await makeClaim(stack, stack.members[1] as never, await getQuote(first.url, 400_000n), recipient(0xb5));
    await rpc(stack.chain.rpcUrl, "evm_setAutomine", [false]);
    const accepted = await postClaim(first.url, claim.body);
    await waitForStatus(first.url, accepted.body.id as string, ["submitted"]);
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.output()).toContain("shutting down: finishing the current step, unfinished claims resume on restart");

    const second = await relayer(envFor(stack.chain.rpcUrl, dataDir));
    await rpc(stack.chain.rpcUrl, "evm_mine");
    await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
    const done = await waitForStatus(second.url, accepted.body.id as string, ["confirmed", "failed"]);
    expect(done.status).toBe("confirmed");
    expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
    await second.stop();
  });

  it("reports not ready while the chain is unreachable and completes the queued claim when it returns", async () => {
    const proxy = new TcpProxy(await freePort(), stack.chain.port);
    await proxy.start();
    const node = await relayer(envFor(proxy.url));
    try {
      const claim = await makeClaim(stack, stack.members[1] as never, await getQuote(node.url, 2_000_000n), recipient(0xb2));
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [false]);
      const accepted = await postClaim(node.url, claim.body);
      expect(accepted.status).toBe(202);
      await waitForStatus(node.url, accepted.body.id as string, ["submitted"]);

      await proxy.stop();
      const down = await fetch(`${node.url}/ready`);
      expect(down.status).toBe(503);
      expect(((await down.json()) as { code: string }).code).toBe("NOT_READY");
      await rpc(stack.chain.rpcUrl, "evm_mine");
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
      expect((await fetch(`${node.url}/v1/claims/${accepted.body.id}`).then((r) => r.json())).status).toBe("submitted");

      await proxy.start();
      expect((await fetch(`${node.url}/ready`)).status).toBe(200);
      const done = await waitForStatus(node.url, accepted.body.id as string, ["confirmed", "failed"]);
      expect(done.status).toBe("confirmed");
      expect(await tokenBalance(stack, recipient(0xb2))).toBe(1_980_000n);
    } finally {
      await proxy.stop();
      await node.stop();
    }
  });

  it("ends a claim 'failed: already spent' when another party submits the same proof first, paying once", async () => {
    const node = await relayer(envFor(stack.chain.rpcUrl));
    try {
      const claim = await makeClaim(stack, stack.members[2] as never, await getQuote(node.url, 3_000_000n), recipient(0xb3));
      const other = createWalletClient({ account: privateKeyToAccount(devAccount(9).privateKey), transport: http(stack.chain.rpcUrl) });
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [false]);
      const accepted = await postClaim(node.url, claim.body);
      expect(accepted.status).toBe(202);
      const sent = await waitForStatus(node.url, accepted.body.id as string, ["submitted"]);
      const relayerTx = await stack.client.getTransaction({ hash: sent.txHash as `0x${string}` });
      // The other party copies the proof from the mempool and outbids the relayer's gas price.
      await other.writeContract({
        chain: null,
        address: stack.pool,
        abi: huzhuPoolAbi,
        functionName: "claim",
        args: [claim.built.request, claim.built.solidityProof],
        gas: 1_000_000n,
        maxFeePerGas: (relayerTx.maxFeePerGas ?? 0n) * 4n,
        maxPriorityFeePerGas: (relayerTx.maxFeePerGas ?? 0n) * 3n,
      });
      await rpc(stack.chain.rpcUrl, "evm_mine");
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
      const done = await waitForStatus(node.url, accepted.body.id as string, ["confirmed", "failed"]);
      expect(done).toMatchObject({ status: "failed", code: "NULLIFIER_SPENT" });
      expect(done.reason).toContain("already spent");
      expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
      // The recipient got the payout once (the fee went to the relayer address named in the proof).
      expect(await tokenBalance(stack, recipient(0xb3))).toBe(2_970_000n);
    } finally {
      await node.stop();
    }
  });

  it("re-prices a transaction stuck in the mempool (same nonce) and the claim still pays once", async () => {
    const env = { ...envFor(stack.chain.rpcUrl), HUZHU_REPRICE_AFTER_SECONDS: "1" };
    const node = await relayer(env);
    try {
      const claim = await makeClaim(stack, stack.members[0] as never, await getQuote(node.url, 500_000n), recipient(0xb4));
      const nonceBefore = await stack.client.getTransactionCount({ address: RELAYER.address });
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [false]);
      const accepted = await postClaim(node.url, claim.body);
      const first = await waitForStatus(node.url, accepted.body.id as string, ["submitted"]);
      // Not mined: after a second the relayer replaces it with a higher fee.
      const replaced = await until(
        () => waitForStatus(node.url, accepted.body.id as string, ["submitted"]),
        (status) => status.txHash !== first.txHash,
        "the relayer re-pricing its transaction",
      );
      expect(replaced.txHash).not.toBe(first.txHash);
      // The replacement took the same nonce, so the node dropped the first version. (On a loaded
      // machine the relayer may re-price again meanwhile: read whichever version is current.)
      const after = await until(
        async () => {
          const current = await waitForStatus(node.url, accepted.body.id as string, ["submitted"]);
          return stack.client.getTransaction({ hash: current.txHash as `0x${string}` }).catch(() => undefined);
        },
        (tx) => tx !== undefined,
        "the relayer's current transaction",
      );
      expect(after?.nonce).toBe(nonceBefore);
      await expect(stack.client.getTransaction({ hash: first.txHash as `0x${string}` })).rejects.toThrow("could not be found");
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      expect(metrics).toMatch(/huzhu_relayer_transactions_sent_total\{kind="reprice"\} [1-9]/);

      await rpc(stack.chain.rpcUrl, "evm_mine");
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
      const done = await waitForStatus(node.url, accepted.body.id as string, ["confirmed", "failed"]);
      expect(done.status).toBe("confirmed");
      expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
      expect(await stack.client.getTransactionCount({ address: RELAYER.address })).toBe(nonceBefore + 1);
      // Private by default: the relayer's log never names a client address.
      expect(node.output()).toContain(accepted.body.id as string);
      expect(node.output()).not.toMatch(/remoteAddress|"ip"|127\.0\.0\.1:\d+"[^\n]*(claim|nullifier)/);
    } finally {
      await node.stop();
    }
  });

  it("waits for the confirmation depth and re-sends a claim whose block was reorganised away", async () => {
    const env = { ...envFor(stack.chain.rpcUrl), HUZHU_CONFIRMATIONS: "3" };
    const node = await relayer(env);
    try {
      const claim = await makeClaim(stack, stack.members[2] as never, await getQuote(node.url, 600_000n), recipient(0xb6));
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [false]);
      const accepted = await postClaim(node.url, claim.body);
      const sent = await waitForStatus(node.url, accepted.body.id as string, ["submitted"]);
      const id = accepted.body.id as string;
      const snapshot = await rpc(stack.chain.rpcUrl, "evm_snapshot");
      await rpc(stack.chain.rpcUrl, "evm_mine");
      // Included, one block deep: still "submitted", with its block.
      const included = await until(
        () => waitForStatus(node.url, id, ["submitted"]),
        (status) => status.blockNumber !== undefined,
        "the relayer seeing its transaction included",
      );
      // The block disappears (a reorganisation): the claim is waiting for inclusion again.
      await rpc(stack.chain.rpcUrl, "evm_revert", [snapshot]);
      expect(BigInt(await stack.client.getBlockNumber())).toBeLessThan(BigInt(included.blockNumber as string));
      const after = await until(
        () => waitForStatus(node.url, id, ["submitted", "confirmed", "failed"]),
        (status) => status.blockNumber === undefined,
        "the relayer noticing the reorganisation",
      );
      expect(after).toMatchObject({ status: "submitted", txHash: sent.txHash });
      // The node lost the transaction with the block; the relayer broadcasts it again.
      await until(
        () => stack.client.getTransaction({ hash: sent.txHash as `0x${string}` }).then((tx) => tx.hash),
        (hash) => hash === sent.txHash,
        "the relayer re-broadcasting its transaction",
      );
      // Included again and then buried three deep.
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
      for (let i = 0; i < 3; i++) await rpc(stack.chain.rpcUrl, "evm_mine");
      const done = await waitForStatus(node.url, accepted.body.id as string, ["confirmed", "failed"]);
      expect(done.status).toBe("confirmed");
      expect(done.txHash).toBe(sent.txHash);
      expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
    } finally {
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
      await node.stop();
    }
  });

  it("sends a claim again with a new nonce when another transaction from the relayer key took its nonce", async () => {
    const node = await relayer(envFor(stack.chain.rpcUrl));
    try {
      const claim = await makeClaim(stack, stack.members[0] as never, await getQuote(node.url, 300_000n), recipient(0xb7));
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [false]);
      const accepted = await postClaim(node.url, claim.body);
      const first = await waitForStatus(node.url, accepted.body.id as string, ["submitted"]);
      const pending = await stack.client.getTransaction({ hash: first.txHash as `0x${string}` });
      // The operator sends a transfer from the relayer's key with the same nonce and a higher fee.
      const operator = createWalletClient({ account: privateKeyToAccount(RELAYER.privateKey), transport: http(stack.chain.rpcUrl) });
      await operator.sendTransaction({
        chain: null,
        to: devAccount(9).address,
        value: 1n,
        nonce: pending.nonce,
        gas: 21_000n,
        maxFeePerGas: (pending.maxFeePerGas ?? 0n) * 3n,
        maxPriorityFeePerGas: (pending.maxFeePerGas ?? 0n) * 2n,
      });
      await rpc(stack.chain.rpcUrl, "evm_mine");
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
      const done = await waitForStatus(node.url, accepted.body.id as string, ["confirmed", "failed"]);
      expect(done.status).toBe("confirmed");
      expect(done.txHash).not.toBe(first.txHash);
      const paid = await stack.client.getTransaction({ hash: done.txHash as `0x${string}` });
      expect(paid.nonce).toBe(pending.nonce + 1);
      expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
      expect(node.output()).toContain("claim nonce taken by another transaction from the relayer key; sending again");
    } finally {
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
      await node.stop();
    }
  });

  it("answers and pays every claim exactly once when a verifier process is killed during a stream of claims", async () => {
    const node = await relayer({ ...envFor(stack.chain.rpcUrl), HUZHU_VERIFY_THREADS: "2" });
    try {
      const quote = await getQuote(node.url, 20_000n);
      const claims = [];
      for (let i = 0; i < 6; i++) claims.push(await makeClaim(stack, stack.members[i % 3] as never, quote, recipient(0xc0 + i)));
      const workers = verifierPids(node.child.pid);
      expect(workers).toHaveLength(2);
      // Three claims in flight, then one verifier process dies; three more while it is replaced.
      const first = claims.slice(0, 3).map((claim) => submitUntilAnswered(node.url, claim.body));
      process.kill(workers[0] as number, "SIGKILL");
      const second = claims.slice(3).map((claim) => submitUntilAnswered(node.url, claim.body));
      const replies = await Promise.all([...first, ...second]);
      expect(replies.map((reply) => reply.status)).toEqual([202, 202, 202, 202, 202, 202]);
      for (const [i, reply] of replies.entries()) {
        const done = await waitForStatus(node.url, reply.body.id as string, ["confirmed", "failed"]);
        expect(done.status).toBe("confirmed");
        expect(await paidEvents(stack, (claims[i] as (typeof claims)[number]).body.request.nullifier)).toHaveLength(1);
      }
      // Capacity is back: a new process replaced the dead one, and the relayer never stopped.
      const ready = await until(
        () => fetch(`${node.url}/ready`).then((r) => r.json() as Promise<{ verifiers?: { alive: number; restarts: number } }>),
        (body) => body.verifiers?.alive === 2,
        "the verifier pool back at full capacity",
      );
      expect(ready.verifiers?.restarts).toBe(1);
      expect(verifierPids(node.child.pid)).not.toContain(workers[0]);
      expect(node.child.exitCode).toBe(null);
      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      expect(metrics).toContain("huzhu_relayer_verifiers_alive 2");
      expect(metrics).toContain("huzhu_relayer_verifier_restarts 1");
      expect(node.output()).toMatch(/a verifier process (exited \(SIGKILL\)|lost its IPC channel); replacing it/);
      expect(node.output()).not.toContain("ERR_IPC_CHANNEL_CLOSED");
    } finally {
      await node.stop();
    }
  });

  it("re-runs a check held by a hung verifier process, refuses with VERIFIER_UNAVAILABLE when none is left, and heals", async () => {
    const quote = await getQuote((await relayer(envFor(stack.chain.rpcUrl))).url, 10_000n);
    const claim = await makeClaim(stack, stack.members[1] as never, quote, recipient(0xd1));
    const verifier = new ProofVerifier(undefined, { threads: 2, timeoutMs: 5_000, restartDelayMs: 50 });
    try {
      await verifier.warm();
      expect(verifier.capacity()).toEqual({ alive: 2, configured: 2, restarts: 0 });
      const [stopped, other] = verifier.pids() as [number, number];
      // A process that stops answering (SIGSTOP): its checks time out and run on the other one.
      process.kill(stopped, "SIGSTOP");
      const results = await Promise.all(Array.from({ length: 4 }, () => verifier.verify(claim.built.proof, claim.built.claimProof.claim)));
      expect(results).toEqual([true, true, true, true]);
      const healed = await until(
        async () => verifier.capacity(),
        (capacity) => capacity.alive === 2 && capacity.restarts === 1,
        "the hung process replaced",
      );
      expect(healed).toEqual({ alive: 2, configured: 2, restarts: 1 });
      expect(verifier.pids()).not.toContain(stopped);
      expect(verifier.pids()).toContain(other);
      // Every process gone at once: a check is refused at once with the retryable code, then the pool heals.
      for (const pid of verifier.pids()) process.kill(pid, "SIGKILL");
      await expect(verifier.verify(claim.built.proof, claim.built.claimProof.claim)).rejects.toMatchObject({
        code: "VERIFIER_UNAVAILABLE",
        statusCode: 503,
        message:
          "the relayer's proof verifier is restarting, so the claim was not checked and nothing was stored; send the same claim again in a few seconds",
      });
      await until(
        async () => verifier.capacity().alive,
        (alive) => alive === 2,
        "both processes replaced",
      );
      expect(await verifier.verify(claim.built.proof, claim.built.claimProof.claim)).toBe(true);
      const tampered = { ...claim.built.claimProof.claim, amount: claim.built.claimProof.claim.amount + 1n };
      expect(await verifier.verify(claim.built.proof, tampered)).toBe(false);
    } finally {
      await verifier.close();
    }
  });

  it("refuses to start with a clear message when its configuration is wrong", async () => {
    await expect(spawnRelayer({ HUZHU_RPC_URL: "", HUZHU_DEPLOYMENT: "", HUZHU_RELAYER_KEY: RELAYER.privateKey }, 20_000)).rejects.toThrow(
      "relayer configuration error: HUZHU_RPC_URL is required",
    );
    await expect(spawnRelayer({ ...envFor(stack.chain.rpcUrl, "/tmp/x"), HUZHU_RELAYER_KEY: "0x1234" }, 20_000)).rejects.toThrow(
      "HUZHU_RELAYER_KEY must be a 0x-prefixed 32-byte hex private key",
    );
  });

  it("refuses a second relayer on the same store: one writer owns the nonce", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "huzhu-relayer-"));
    const owner = await relayer(envFor(stack.chain.rpcUrl, dataDir));
    try {
      await expect(spawnRelayer(envFor(stack.chain.rpcUrl, dataDir), 20_000)).rejects.toThrow("is in use by another relayer process");
    } finally {
      await owner.stop();
    }
  });
});
