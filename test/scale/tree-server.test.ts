/**
 * The standalone tree service (service/trees/server.ts) against a real Hardhat node over HTTP: its
 * configuration is validated with the variable to fix, it indexes the pool from its deployment
 * block, serves the snapshot a member verifies, reports readiness and metrics through the service
 * kit, and answers a malformed parameter or an unknown route with a code.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { getAddress } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceError } from "../../service/kit/service-error.ts";
import { loadMemberTreeFromServices } from "../../service/sdk/chain/tree-source.ts";
import type { Identity } from "../../service/sdk/identity.ts";
import { loadTreeConfig, startTreeService, TreeConfigError } from "../../service/trees/server.ts";
import { type Stack, startStack } from "../../testkit/relayer-stack.ts";

let stack: Stack;
let service: Awaited<ReturnType<typeof startTreeService>>;

beforeAll(async () => {
  stack = await startStack(3);
  const config = loadTreeConfig({
    HUZHU_RPC_URL: stack.chain.rpcUrl,
    HUZHU_POOL: stack.pool,
    HUZHU_FROM_BLOCK: String(stack.deployment.record.deployBlock),
    HUZHU_TREES_DATA_DIR: mkdtempSync(join(tmpdir(), "huzhu-tree-server-")),
    HUZHU_TREES_PORT: "0",
    HUZHU_LOG_CHUNK: "7",
  });
  service = await startTreeService(config, pino({ level: "silent" }));
}, 180_000);

afterAll(async () => {
  await service?.app.close();
  await stack?.chain.stop();
});

describe("standalone tree service", () => {
  it("refuses a configuration without an RPC URL or pool, or with a zero log span, naming the variable", () => {
    // The relayer's and the desk's chain variables and log span (service/kit/env.ts), with the same words.
    expect(() => loadTreeConfig({})).toThrow(
      new TreeConfigError(
        "HUZHU_RPC_URL is required: the JSON-RPC URL of the chain the pool is on (or HUZHU_DEPLOYMENT, a deployment record)",
      ),
    );
    expect(() => loadTreeConfig({ HUZHU_RPC_URL: "http://127.0.0.1:1", HUZHU_POOL: "0x12" })).toThrow(
      new TreeConfigError('HUZHU_POOL must be an address, got "0x12"'),
    );
    expect(() => loadTreeConfig({ HUZHU_RPC_URL: "http://127.0.0.1:1", HUZHU_POOL: stack.pool, HUZHU_LOG_CHUNK: "0" })).toThrow(
      new TreeConfigError('HUZHU_LOG_CHUNK must be a whole number of at least 1, got "0"'),
    );
    expect(() => loadTreeConfig({ HUZHU_RPC_URL: "http://127.0.0.1:1", HUZHU_POOL: stack.pool, HUZHU_LOG_CHUNK: "0" })).toThrow(
      expect.objectContaining({ name: "TreeConfigError", code: "CONFIG_INVALID" }),
    );
    // Unset, the chain variables come from the deployment record, as for the relayer and the desk.
    const record = join(mkdtempSync(join(tmpdir(), "huzhu-tree-config-")), "deployment.json");
    writeFileSync(record, JSON.stringify({ rpcUrl: "http://127.0.0.1:1", pool: stack.pool.toLowerCase(), deployBlock: 12 }));
    expect(loadTreeConfig({ HUZHU_DEPLOYMENT: record })).toMatchObject({
      rpcUrl: "http://127.0.0.1:1",
      pool: getAddress(stack.pool),
      fromBlock: 12n,
    });
    expect(() => loadTreeConfig({ HUZHU_RPC_URL: "http://127.0.0.1:1", HUZHU_POOL: stack.pool, HUZHU_TREES_POLL_MS: "soon" })).toThrow(
      new TreeConfigError('HUZHU_TREES_POLL_MS must be a whole number from 50 to 600000, got "soon"'),
    );
  });

  it("will not start against a chain it cannot reach, or an address without the pool's code", async () => {
    const base = { HUZHU_TREES_DATA_DIR: mkdtempSync(join(tmpdir(), "huzhu-tree-refused-")), HUZHU_TREES_PORT: "0" };
    const silent = pino({ level: "silent" });
    const away = loadTreeConfig({ ...base, HUZHU_RPC_URL: "http://127.0.0.1:9", HUZHU_POOL: stack.pool });
    const unreachable = await startTreeService(away, silent).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(unreachable).toBeInstanceOf(ServiceError);
    expect(unreachable).toMatchObject({ code: "CHAIN_UNREACHABLE" });
    expect((unreachable as Error).message).toMatch(
      /^cannot reach the chain at http:\/\/127\.0\.0\.1:9 \(.+\); is the node running\? check HUZHU_RPC_URL$/,
    );
    const nobody = "0x00000000000000000000000000000000000000aa";
    const empty = loadTreeConfig({ ...base, HUZHU_RPC_URL: stack.chain.rpcUrl, HUZHU_POOL: nobody });
    await expect(startTreeService(empty, silent)).rejects.toThrow(
      new ServiceError(
        "NO_POOL_CONTRACT",
        `no contract at HUZHU_POOL ${getAddress(nobody)} on chain 31337; check the address and the RPC URL`,
      ),
    );
  });

  it("indexes the pool through spans of 7 blocks and serves a snapshot a member verifies against the pool", async () => {
    expect(await (await fetch(`${service.address}/health`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${service.address}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, block: service.index.cursor?.block.toString(), plans: 1 });
    const ref = { client: stack.client, pool: stack.pool, fromBlock: BigInt(stack.deployment.record.deployBlock) };
    const loaded = await loadMemberTreeFromServices(ref, 1n, {
      servers: [service.address],
      commitment: (stack.members[2] as Identity).commitment,
      fallbackToEvents: false,
    });
    expect(loaded).toMatchObject({ source: "snapshot", server: service.address, refused: [] });
    expect(loaded.tree.size).toBe(3);
    const metrics = await (await fetch(`${service.address}/metrics`)).text();
    expect(metrics).toContain('huzhu_trees_members{plan="1"} 3');
    expect(metrics).toContain("huzhu_trees_poll_failing 0");
    expect(metrics).toMatch(new RegExp(`huzhu_trees_block ${service.index.cursor?.block}\\b`));
  });

  it("answers a malformed plan id or root 400 TREE_INVALID_PARAMETER", async () => {
    const reply = await fetch(`${service.address}/v1/plans/abc/tree`);
    expect(reply.status).toBe(400);
    expect(await reply.json()).toMatchObject({ code: "TREE_INVALID_PARAMETER" });
    const root = await fetch(`${service.address}/v1/plans/1/tree/0x12/update`);
    expect(await root.json()).toMatchObject({ statusCode: 400, code: "TREE_INVALID_PARAMETER" });
    const unknown = await fetch(`${service.address}/v1/plans/1/leaves`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      statusCode: 404,
      code: "NOT_FOUND",
      error: "Not Found",
      message: "no route GET /v1/plans/1/leaves; see /docs",
    });
    expect((await fetch(`${service.address}/docs/json`)).status).toBe(200);
  });
});
