/** The shared claim store's refusal to boot when its PostgreSQL server cannot be reached. */
import { expect, it } from "vitest";
import { freePort } from "../../scripts/lib/stack.ts";
import { PostgresClaimStore } from "../../service/relayer/store-postgres.ts";

it("says which database it cannot reach, without its password, and keeps the driver's error as the cause", async () => {
  const port = await freePort();
  const url = `postgres://relayer:secret@127.0.0.1:${port}/relayer`;
  const error = await PostgresClaimStore.open(url, {
    chainId: 31337,
    pool: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    relayer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toBe(
    `cannot connect to the relayer database postgres://relayer:***@127.0.0.1:${port}/relayer: connect ECONNREFUSED 127.0.0.1:${port}; check HUZHU_RELAYER_DATABASE_URL`,
  );
  expect((error as Error).cause).toMatchObject({ code: "ECONNREFUSED", port });
});
