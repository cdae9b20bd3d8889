/**
 * The tree index's file refuses what it must not serve from, with coded errors: a file from a newer
 * layout, a file whose recorded pool is another, and a plan whose leaves have a gap.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, expect, it } from "vitest";
import { ServiceError } from "../../service/kit/service-error.ts";
import { TreeIndexError } from "../../service/trees/errors.ts";
import { TREE_STORE_VERSION, TreeStore } from "../../service/trees/store.ts";

const POOL = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
const IDENTITY = { chainId: 31337, pool: POOL };

/** A fresh index file, closed, and a way to edit it by hand. */
function freshIndex() {
  const dir = mkdtempSync(join(tmpdir(), "huzhu-tree-store-"));
  const store = new TreeStore(dir, IDENTITY);
  const file = store.location;
  store.close();
  const edit = (sql: string, ...params: Array<string | number | Uint8Array>) => {
    const db = new DatabaseSync(file);
    db.prepare(sql).run(...params);
    db.close();
  };
  return { dir, file, edit };
}

describe("the tree index's file", () => {
  it("refuses a file of a newer layout with STORE_SCHEMA_NEWER", () => {
    const { dir, file, edit } = freshIndex();
    edit("UPDATE tree_meta SET value = '99' WHERE key = 'version'");
    expect(() => new TreeStore(dir, IDENTITY)).toThrow(
      new ServiceError(
        "STORE_SCHEMA_NEWER",
        `the tree index ${file} has layout version 99, newer than this service knows (${TREE_STORE_VERSION}); upgrade, or delete the file to rebuild it from the chain`,
      ),
    );
  });

  it("refuses a file that records another pool with STORE_OWNED_ELSEWHERE", () => {
    const { dir, file, edit } = freshIndex();
    const other = "0x000000000000000000000000000000000000beef";
    edit("UPDATE tree_meta SET value = ? WHERE key = 'pool'", other);
    expect(() => new TreeStore(dir, IDENTITY)).toThrow(
      new ServiceError(
        "STORE_OWNED_ELSEWHERE",
        `the tree index ${file} belongs to pool ${other} on chain 31337, not ${POOL} on 31337; give this deployment its own data folder`,
      ),
    );
  });

  it("refuses a plan whose stored leaves have a gap with TREE_INDEX_CORRUPT", () => {
    const { dir, file, edit } = freshIndex();
    edit("INSERT INTO tree_leaves (plan_id, idx, record) VALUES ('1', 1, ?)", new Uint8Array(40));
    const store = new TreeStore(dir, IDENTITY);
    try {
      expect(() => store.loadPlan(1n)).toThrow(
        new TreeIndexError("TREE_INDEX_CORRUPT", `the tree index ${file} lacks member 0 of plan 1; delete the file to rebuild it`),
      );
    } finally {
      store.close();
    }
  });
});
