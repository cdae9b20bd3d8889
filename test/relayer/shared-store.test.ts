/**
 * Several relayer processes sharing one PostgreSQL database (a real server) in front of a real
 * Hardhat node: any instance accepts a claim and answers its status, the same claim sent to two
 * instances is one claim, exactly one instance sends transactions, and when that instance is
 * killed mid-claim another takes over and the claim is paid exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, type TestPostgres } from "../../scripts/lib/postgres.ts";
import { type RelayerProcess, rpc, spawnRelayer } from "../../scripts/lib/stack.ts";
import { redactDatabaseUrl } from "../../service/relayer/store-postgres.ts";
import { releaseProver } from "../../service/sdk/index.ts";
import { freePort } from "../../testkit/local-chain.ts";
import {
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
  waitForStatus,
} from "../../testkit/relayer-stack.ts";

let stack: Stack;
let postgres: TestPostgres;
const running: RelayerProcess[] = [];

const recipient = (n: number) => `0x${n.toString(16).padStart(40, "0")}` as const;

async function instance(databaseUrl: string): Promise<RelayerProcess> {
  const process = await spawnRelayer(relayerEnv(stack, { HUZHU_RELAYER_DATABASE_URL: databaseUrl, HUZHU_LOG_LEVEL: "info" }));
  running.push(process);
  return process;
}

/** The instance's `huzhu_relayer_writer` gauge, once its submitter has made a pass. */
async function writerGauge(relayer: RelayerProcess): Promise<number> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = await (await fetch(`${relayer.url}/metrics`)).text();
    const match = /^huzhu_relayer_writer (\d)$/m.exec(text);
    if (match) return Number(match[1]);
    if (Date.now() > deadline) throw new Error(`no huzhu_relayer_writer gauge from ${relayer.url}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Waits until `relayer` reports itself the writer; returns how long that took (ms). */
async function untilWriter(relayer: RelayerProcess, timeoutMs = 20_000): Promise<number> {
  const started = Date.now();
  while ((await writerGauge(relayer)) !== 1) {
    if (Date.now() - started > timeoutMs) throw new Error(`${relayer.url} did not become the writer in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

/** The two instances, writer first. */
async function writerAndOther(a: RelayerProcess, b: RelayerProcess): Promise<[RelayerProcess, RelayerProcess]> {
  const gauges = [await writerGauge(a), await writerGauge(b)];
  expect(gauges.sort()).toEqual([0, 1]);
  return (await writerGauge(a)) === 1 ? [a, b] : [b, a];
}

beforeAll(async () => {
  [stack, postgres] = await Promise.all([startStack(3), startPostgres()]);
}, 180_000);

afterAll(async () => {
  for (const process of running) await process.stop("SIGKILL");
  await stack?.chain.stop();
  await postgres?.stop();
  await releaseProver();
});

describe("relayer instances sharing a PostgreSQL store", () => {
  it("accepts a claim at any instance, answers its status at every instance, and pays it once", async () => {
    const url = await postgres.database("shared_accept");
    const [writer, other] = await writerAndOther(await instance(url), await instance(url));
    // Each instance logs its role once its first submitter pass has decided it: wait for the lines.
    await expect.poll(() => writer.output()).toContain("this instance sends the claims (writer)");
    await expect.poll(() => other.output()).toContain("another instance sends the claims; this one accepts them and answers status");

    const claim = await makeClaim(stack, stack.members[0] as never, await getQuote(other.url, 500_000n), recipient(0xc1));
    const accepted = await postClaim(other.url, claim.body);
    expect(accepted.status).toBe(202);
    const again = await postClaim(writer.url, claim.body);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: accepted.body.id, duplicate: true });

    const done = await waitForStatus(other.url, accepted.body.id as string, ["confirmed", "failed"]);
    expect(done.status).toBe("confirmed");
    expect(await waitForStatus(writer.url, accepted.body.id as string, ["confirmed"])).toMatchObject({ txHash: done.txHash });
    expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
    expect(await tokenBalance(stack, recipient(0xc1))).toBe(495_000n);
    // The writer sent it: the other instance never signed a transaction.
    expect(writer.output()).toContain("claim transaction sent");
    expect(other.output()).not.toContain("claim transaction sent");
    for (const node of [writer, other]) await node.stop();
  });

  it("hands the claims to another instance when the writer is killed mid-claim, without sending any twice", async () => {
    const url = await postgres.database("shared_failover");
    const [writer, other] = await writerAndOther(await instance(url), await instance(url));
    const claim = await makeClaim(stack, stack.members[1] as never, await getQuote(writer.url, 700_000n), recipient(0xc2));
    const nonceBefore = await stack.client.getTransactionCount({ address: RELAYER_ACCOUNT.address });

    await rpc(stack.chain.rpcUrl, "evm_setAutomine", [false]);
    try {
      const accepted = await postClaim(writer.url, claim.body);
      expect(accepted.status).toBe(202);
      const sent = await waitForStatus(writer.url, accepted.body.id as string, ["submitted"]);
      expect(await writer.stop("SIGKILL")).toBe(null);

      // The survivor takes the writer's role at its next pass and follows the recorded transaction.
      await untilWriter(other);
      expect(await writerGauge(other)).toBe(1);
      await rpc(stack.chain.rpcUrl, "evm_mine");
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
      const done = await waitForStatus(other.url, accepted.body.id as string, ["confirmed", "failed"]);
      expect(done).toMatchObject({ status: "confirmed", txHash: sent.txHash });
      expect(other.output()).toContain("this instance sends the claims (writer)");
      expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
      expect(await stack.client.getTransactionCount({ address: RELAYER_ACCOUNT.address })).toBe(nonceBefore + 1);

      // And it goes on sending new claims with the next nonce.
      const next = await makeClaim(stack, stack.members[2] as never, await getQuote(other.url, 300_000n), recipient(0xc3));
      const nextAccepted = await postClaim(other.url, next.body);
      const nextDone = await waitForStatus(other.url, nextAccepted.body.id as string, ["confirmed", "failed"]);
      expect(nextDone.status).toBe("confirmed");
      expect(await stack.client.getTransactionCount({ address: RELAYER_ACCOUNT.address })).toBe(nonceBefore + 2);
    } finally {
      await rpc(stack.chain.rpcUrl, "evm_setAutomine", [true]);
      await other.stop();
    }
  });

  it("answers 503 NOT_READY while the database is unreachable, stores nothing, and accepts the claim once it is back", async () => {
    const url = new URL(await postgres.database("shared_outage"));
    const proxy = new TcpProxy(await freePort(), Number(url.port));
    await proxy.start();
    const proxied = new URL(url);
    proxied.port = String(proxy.port);
    const node = await instance(proxied.toString());
    try {
      expect((await fetch(`${node.url}/ready`)).status).toBe(200);
      const claim = await makeClaim(stack, stack.members[0] as never, await getQuote(node.url, 200_000n), recipient(0xc4));

      await proxy.stop();
      const ready = await fetch(`${node.url}/ready`);
      expect(ready.status).toBe(503);
      const readyBody = (await ready.json()) as { code: string; message: string };
      expect(readyBody.code).toBe("NOT_READY");
      expect(readyBody.message).toBe(
        `the claim store ${redactDatabaseUrl(proxied.toString())} is unreachable: connect ECONNREFUSED 127.0.0.1:${proxy.port}`,
      );
      const refused = await postClaim(node.url, claim.body);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({
        code: "NOT_READY",
        message: "the relayer's claim store is unreachable, so nothing was stored; try again in a moment",
      });

      await proxy.start();
      expect((await fetch(`${node.url}/ready`)).status).toBe(200);
      const accepted = await postClaim(node.url, claim.body);
      expect(accepted.status).toBe(202);
      const done = await waitForStatus(node.url, accepted.body.id as string, ["confirmed", "failed"]);
      expect(done.status).toBe("confirmed");
      expect(await paidEvents(stack, claim.body.request.nullifier)).toHaveLength(1);
    } finally {
      await node.stop();
      await proxy.stop();
    }
  });

  it("refuses a database URL that is not postgres://, and a server it cannot reach, saying what to set", async () => {
    await expect(spawnRelayer(relayerEnv(stack, { HUZHU_RELAYER_DATABASE_URL: "mysql://db.internal/huzhu" }), 20_000)).rejects.toThrow(
      "relayer configuration error: HUZHU_RELAYER_DATABASE_URL must be a postgres:// URL, got a mysql: URL",
    );
    await expect(spawnRelayer(relayerEnv(stack, { HUZHU_RELAYER_DATABASE_URL: "not a url" }), 20_000)).rejects.toThrow(
      "relayer configuration error: HUZHU_RELAYER_DATABASE_URL must be a postgres:// URL, e.g. postgres://relayer:secret@db.internal:5432/huzhu",
    );
    const closed = `postgres://huzhu:secret@127.0.0.1:${await freePort()}/huzhu`;
    const refused = spawnRelayer(relayerEnv(stack, { HUZHU_RELAYER_DATABASE_URL: closed }), 20_000);
    await expect(refused).rejects.toThrow(
      `cannot connect to the relayer database postgres://huzhu:***@127.0.0.1:${new URL(closed).port}/huzhu: connect ECONNREFUSED 127.0.0.1:${new URL(closed).port}; check HUZHU_RELAYER_DATABASE_URL`,
    );
    await expect(refused).rejects.not.toThrow("secret");
  });

  it("refuses to start on a database that belongs to another relayer wallet, with the reason", async () => {
    const url = await postgres.database("shared_owner");
    const owner = await instance(url);
    await owner.stop();
    const stranger = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a";
    await expect(spawnRelayer(relayerEnv(stack, { HUZHU_RELAYER_DATABASE_URL: url, HUZHU_RELAYER_KEY: stranger }), 30_000)).rejects.toThrow(
      "instances sharing a database must share the relayer key and pool: give this one a database of its own",
    );
  });
});
