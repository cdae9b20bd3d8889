/**
 * Who approves a plan's claims (planApprovers), against a real local chain and a real desk on
 * 127.0.0.1: a 2-of-3 committee made by DKG through the desk, its group key and one single key
 * added to the plan on chain. A desk that answers places the committee among the keys; a desk on a
 * closed port gives the chain's keys with `deskSilent` and why; a chain that does not answer throws.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { createPublicClient, HttpRequestError, http, type PublicClient } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeskApp, type DeskApp } from "../../service/desk/app.ts";
import { DeskChain } from "../../service/desk/chain.ts";
import { DESK_SCHEMA } from "../../service/desk/schema.ts";
import { DeskStore } from "../../service/desk/store.ts";
import { openSqlite } from "../../service/kit/sql.ts";
import { type AssessorKey, generateAssessorKey } from "../../service/sdk/assessor.ts";
import type { PoolRef } from "../../service/sdk/chain/pool.ts";
import { committeePublicKey } from "../../service/sdk/committee/key-set.ts";
import { DeskClient } from "../../service/sdk/desk/client.ts";
import { joinCommitteeRun, startCommitteeRun } from "../../service/sdk/desk/committee-flows.ts";
import { planApprovers } from "../../service/sdk/desk/plan-approvers.ts";
import { addAssessorOnChain } from "../../testkit/assessors.ts";
import { freePort, type LocalChain, startLocalChain } from "../../testkit/local-chain.ts";

const PLAN = 1n;
let chain: LocalChain;
let ref: PoolRef;
let app: DeskApp;
let desk: DeskClient;
let keySetId: string;

beforeAll(async () => {
  chain = await startLocalChain();
  ref = { client: chain.client, pool: chain.pool, fromBlock: chain.deployBlock };
  const db = await openSqlite(join(mkdtempSync(join(tmpdir(), "huzhu-plan-approvers-")), "desk.sqlite"), DESK_SCHEMA);
  const port = await freePort();
  app = await buildDeskApp({
    log: pino({ level: "silent" }),
    store: new DeskStore(db),
    chain: new DeskChain(chain.client, chain.pool, chain.deployBlock),
    chainId: chain.chainId,
    name: "Plan approvers desk",
    origin: `http://127.0.0.1:${port}`,
    sessionTtlSeconds: 3600,
    rateLimitPerMinute: 100_000,
  });
  app.addHook("onClose", () => db.close());
  desk = new DeskClient(await app.listen({ host: "127.0.0.1", port }));
  const members: AssessorKey[] = [generateAssessorKey(), generateAssessorKey(), generateAssessorKey()];
  const run = await startCommitteeRun(desk, {
    planId: PLAN,
    threshold: 2,
    members: members.map((k) => k.publicKey),
    key: members[0] as AssessorKey,
  });
  const [joined] = await Promise.all(members.map((key) => joinCommitteeRun(desk, run.dkgId, key, { pollMs: 50 })));
  const keySet = joined?.share.keySet ?? expect.fail("no member finished the DKG");
  keySetId = keySet.id;
  await addAssessorOnChain(chain.rpcUrl, chain.pool, committeePublicKey(keySet), { planId: PLAN });
  await addAssessorOnChain(chain.rpcUrl, chain.pool, generateAssessorKey().publicKey, { planId: PLAN });
}, 180_000);

afterAll(async () => {
  if (app?.server.listening) await app.close();
  await chain?.stop();
});

describe("planApprovers", () => {
  it("with a desk that answers, counts the committee (2 of 3) among the plan's keys, and the other key alone", async () => {
    expect(await planApprovers(ref, PLAN, desk)).toStrictEqual({
      keys: 2,
      committees: [{ keySetId, threshold: 2, size: 3 }],
      singles: 1,
      notInForce: [],
    });
  });

  it("with a desk on a closed port, gives the chain's keys, every one alone, and deskSilent saying why", async () => {
    const silent = new DeskClient(`http://127.0.0.1:${await freePort()}`);
    expect(await planApprovers(ref, PLAN, silent)).toStrictEqual({
      keys: 2,
      committees: [],
      singles: 2,
      notInForce: [],
      deskSilent: { reason: `cannot reach the desk at ${silent.baseUrl} (fetch failed)` },
    });
  });

  it("without a desk, gives the chain's keys and no deskSilent", async () => {
    expect(await planApprovers(ref, PLAN)).toStrictEqual({ keys: 2, committees: [], singles: 2, notInForce: [] });
  });

  it("throws the chain's error when the chain does not answer, even with a desk that does not either", async () => {
    const rpcUrl = `http://127.0.0.1:${await freePort()}/`;
    const deadChain = { ...ref, client: createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) }) as PublicClient };
    const silent = new DeskClient(`http://127.0.0.1:${await freePort()}`);
    const error = await planApprovers(deadChain, PLAN, silent).then(
      () => expect.fail("expected the chain's error"),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpRequestError);
    expect(error).toMatchObject({ name: "HttpRequestError", url: rpcUrl, details: "fetch failed" });
  });
});
