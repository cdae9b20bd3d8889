/**
 * The auditor's checkpoint, one line per event (version 2): written and read back a line at a time,
 * a version 1 file (one JSON text) still read, a cut-off file refused with what to do.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CHECKPOINT_VERSION, type Checkpoint, decodeCheckpoint, loadCheckpoint, saveCheckpoint } from "../../service/auditor/checkpoint.ts";
import { AuditError } from "../../service/auditor/errors.ts";

const hash = `0x${"cd".repeat(32)}` as const;
const checkpoint: Checkpoint = {
  version: CHECKPOINT_VERSION,
  chainId: 31337n,
  pool: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
  fromBlock: 3n,
  vkeyHash: "abc",
  lastBlock: 2_503n,
  lastBlockHash: hash,
  events: Array.from({ length: 2_500 }, (_, i) => ({
    kind: "member" as const,
    renewal: i % 7 === 0,
    planId: 1n,
    commitment: 2n ** 250n + BigInt(i),
    index: BigInt(i),
    paid: 12_000n,
    memberRoot: BigInt(i) * 31n,
    block: BigInt(i + 4),
    blockHash: hash,
    tx: hash,
    logIndex: 0,
  })),
};

describe("audit checkpoint", () => {
  const dir = mkdtempSync(join(tmpdir(), "huzhu-checkpoint-"));

  it("is one line of facts and one line per event, and reads back equal", async () => {
    const path = join(dir, "checkpoint.json");
    await saveCheckpoint(path, checkpoint);
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(1 + checkpoint.events.length);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ version: 2, events: 2_500 });
    expect(await loadCheckpoint(path)).toEqual(checkpoint);
  });

  it("reads a version 1 checkpoint (one JSON text)", async () => {
    const v1 = JSON.stringify({ ...checkpoint, version: 1 }, (_key, value) =>
      typeof value === "bigint" ? { $n: value.toString() } : value,
    );
    const path = join(dir, "v1.json");
    writeFileSync(path, v1);
    expect(await loadCheckpoint(path)).toEqual(checkpoint);
    expect(decodeCheckpoint(v1)).toEqual(checkpoint);
  });

  it("refuses a cut-off checkpoint, saying to delete it", async () => {
    const path = join(dir, "cut.json");
    await saveCheckpoint(path, checkpoint);
    const text = readFileSync(path, "utf8");
    writeFileSync(path, text.slice(0, text.lastIndexOf("\n", text.length - 2)));
    await expect(loadCheckpoint(path)).rejects.toThrow(
      "the audit checkpoint is cut off (2499 of 2500 events); delete it to audit from the first block",
    );
    await expect(loadCheckpoint(path)).rejects.toMatchObject({ name: "AuditError", code: "CHECKPOINT_TRUNCATED" });
    writeFileSync(path, "{ not json\n");
    await expect(loadCheckpoint(path)).rejects.toThrow(
      new AuditError("CHECKPOINT_INVALID", "not a Huzhu audit checkpoint (version 1 or 2); delete it to audit from the first block"),
    );
    expect(await loadCheckpoint(join(dir, "missing.json"))).toBeUndefined();
  });
});
