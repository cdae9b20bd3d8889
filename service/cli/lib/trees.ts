/**
 * A plan's member tree for the CLI: from tree services (`--tree-service URL`, repeatable, or
 * HUZHU_TREE_SERVICES, comma-separated; a relayer serves trees too) with the snapshots cached under
 * $HUZHU_HOME/trees, so the next claim downloads only what changed; from the pool's events when no
 * service is given or none gives a tree that checks.
 */
import "../../sdk/poseidon-circomlibjs.ts";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { type LoadedMemberTree, loadMemberTreeFromServices, type SnapshotCache } from "../../sdk/chain/tree-source.ts";
import type { PoolConnection } from "./chain.ts";
import { huzhuHome } from "./identity.ts";
import type { Output } from "./output.ts";

export interface TreeOptions {
  treeService?: string[];
}

/** Snapshots as files, one per chain, pool and plan; written whole through a temporary file. */
export class FileSnapshotCache implements SnapshotCache {
  readonly dir: string;

  constructor(dir = join(huzhuHome(), "trees")) {
    this.dir = dir;
  }

  #path(key: string): string {
    return join(this.dir, `${key.replace(/[^a-z0-9-]/gi, "_")}.tree`);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.#path(key)));
    } catch {
      return undefined;
    }
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = this.#path(key);
    await writeFile(`${path}.tmp`, bytes);
    await rename(`${path}.tmp`, path);
  }
}

export function addTreeOptions(command: Command): Command {
  return command.option(
    "--tree-service <url>",
    "a tree service to download the plan's member tree from (repeatable; env HUZHU_TREE_SERVICES, comma-separated); default: the pool's events",
    (value: string, previous: string[] = []) => [...previous, value],
  );
}

export function treeServices(opts: TreeOptions, extra: readonly string[] = []): string[] {
  const fromEnv = (process.env.HUZHU_TREE_SERVICES ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return [...new Set([...(opts.treeService ?? []), ...fromEnv, ...extra])];
}

/** The plan's tree, checked against the pool (and `commitment`'s path); notes where it came from. */
export async function memberTreeFor(
  connection: PoolConnection,
  planId: bigint,
  commitment: bigint,
  servers: readonly string[],
  out: Output,
): Promise<LoadedMemberTree> {
  const loaded = await loadMemberTreeFromServices(connection.ref, planId, { servers, cache: new FileSnapshotCache(), commitment });
  noteMemberTree(planId, loaded, out);
  return loaded;
}

/** Notes which tree services refused and where the member tree came from. */
export function noteMemberTree(planId: bigint, loaded: Omit<LoadedMemberTree, "tree">, out: Output): void {
  for (const refusal of loaded.refused) out.note(`tree service ${refusal.server} refused: ${refusal.code}: ${refusal.message}`);
  const from =
    loaded.source === "events"
      ? "the pool's events"
      : `${loaded.server} (${loaded.source === "update" ? "cached snapshot updated" : "snapshot"}, ${Math.ceil(loaded.downloadedBytes / 1024)} KiB)`;
  out.note(`member tree of plan ${planId} (root ${loaded.root}) from ${from}, checked against the pool`);
}
