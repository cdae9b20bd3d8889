/**
 * A plan's member tree for a claim, from a tree service's snapshot instead of every event, without
 * telling the service who is claiming: the client downloads the whole snapshot (or, with a cached
 * one, everything that changed since its root), finds its own leaf locally, hashes its path to the
 * root, and checks that root is one of the pool's recent roots. A snapshot that fails any check is
 * refused with a code (SNAPSHOT_INVALID, SNAPSHOT_TRUNCATED, SNAPSHOT_STALE, TREE_SERVICE_FAILED)
 * and the next service is tried, then the pool's events. Runs in Node and in browsers.
 */
import { ErrorCode, HuzhuError } from "../errors.ts";
import { applyUpdate, type DecodedSnapshot, decodeSnapshot, encodeSnapshot } from "../tree-snapshot.ts";
import type { AssessorTree, MemberTree } from "../trees.ts";
import { huzhuPoolAbi } from "./abi.ts";
import { type AssessorChange, assessorTreeFromChanges, loadAssessorTree, loadMemberTree, type PoolRef } from "./pool.ts";

/** Where a client keeps the snapshots it downloaded (CLI: files under HUZHU_HOME; web app: IndexedDB). */
export interface SnapshotCache {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, bytes: Uint8Array): Promise<void>;
}

export interface TreeSourceOptions {
  /** Base URLs of tree services (a relayer's, or `node service/trees/server.ts`), tried in order. */
  servers: readonly string[];
  cache?: SnapshotCache;
  /** The member's commitment: its leaf must be in the tree and its path must hash to the root. */
  commitment?: bigint;
  /**
   * The pool's current member root, when the caller needs the tree as it is now (a member's own cover
   * right after paying) rather than any recent one: a snapshot behind it counts as stale.
   */
  latestRoot?: bigint;
  /** Read the pool's events when no service gives a tree that checks (default true). */
  fallbackToEvents?: boolean;
  fetch?: typeof globalThis.fetch;
}

/** A source that was tried and refused, and why. */
export interface TreeRefusal {
  server: string;
  code: ErrorCode;
  message: string;
}

export interface LoadedMemberTree {
  tree: MemberTree;
  /** "snapshot": downloaded whole; "update": the cached snapshot brought up to date; "events": rebuilt from the pool's events. */
  source: "snapshot" | "update" | "events";
  server?: string;
  root: bigint;
  /** Bytes downloaded from the tree service that was used. */
  downloadedBytes: number;
  refused: TreeRefusal[];
}

export function snapshotCacheKey(chainId: number | bigint, pool: string, planId: bigint): string {
  return `${chainId}-${pool.toLowerCase()}-${planId}`;
}

async function download(fetcher: typeof globalThis.fetch, url: string): Promise<Uint8Array | undefined> {
  let response: Response;
  try {
    response = await fetcher(url, { headers: { accept: "application/vnd.huzhu.member-tree" } });
  } catch (error) {
    throw new HuzhuError(
      ErrorCode.TreeServiceFailed,
      `the tree service at ${url} could not be reached (${(error as Error).message}); trying another source`,
      {},
      { cause: error },
    );
  }
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    throw new HuzhuError(
      ErrorCode.TreeServiceFailed,
      `the tree service at ${url} answered ${response.status} ${text.slice(0, 200)}; trying another source`,
    );
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** Checks a decoded snapshot belongs to this pool and plan, and that its root is one of the pool's recent roots. */
export async function verifySnapshotRoot(ref: PoolRef, planId: bigint, snapshot: DecodedSnapshot): Promise<void> {
  const head = snapshot.head;
  const chainId = BigInt(await ref.client.getChainId());
  if (head.chainId !== chainId || head.pool.toLowerCase() !== ref.pool.toLowerCase() || head.planId !== planId) {
    throw new HuzhuError(
      ErrorCode.SnapshotInvalid,
      `the snapshot is for plan ${head.planId} of pool ${head.pool} on chain ${head.chainId}, not plan ${planId} of ${ref.pool} on ${chainId}; use a tree service for this deployment`,
    );
  }
  const seq = await ref.client.readContract({
    address: ref.pool,
    abi: huzhuPoolAbi,
    functionName: "memberRootSeq",
    args: [planId, head.root],
  });
  if (seq === 0n) {
    throw new HuzhuError(
      ErrorCode.SnapshotStale,
      `the snapshot's root ${head.root} is not one of plan ${planId}'s recent roots (too old, from a reorganised chain, or made up); trying another source`,
      { root: head.root.toString() },
    );
  }
}

/** Checks the member's leaf is in a snapshot and its path hashes to the snapshot's root. */
export function verifySnapshotMember(snapshot: DecodedSnapshot, commitment: bigint): void {
  const head = snapshot.head;
  const record = snapshot.tree.find(commitment);
  if (!record) {
    throw new HuzhuError(
      ErrorCode.NotAMember,
      `the snapshot (root ${head.root}, ${head.size} members) does not hold this identity; it may have joined since; trying another source`,
    );
  }
  try {
    snapshot.tree.proof(record);
  } catch (error) {
    if (error instanceof HuzhuError && error.code === ErrorCode.TreeMismatch) {
      throw new HuzhuError(ErrorCode.SnapshotInvalid, `the snapshot was tampered with: ${error.message}`, {}, { cause: error });
    }
    throw error;
  }
}

/** The plan's member tree from the first tree service whose snapshot checks, else from events. */
export async function loadMemberTreeFromServices(ref: PoolRef, planId: bigint, options: TreeSourceOptions): Promise<LoadedMemberTree> {
  const fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
  const refused: TreeRefusal[] = [];
  // The last refusal's error, kept as the cause when no source gives a tree that checks.
  let lastRefusal: HuzhuError | undefined;
  const key = snapshotCacheKey(await ref.client.getChainId(), ref.pool, planId);
  const cachedBytes = await options.cache?.get(key).catch(() => undefined);

  let fromUpdate = false;
  const fromServer = async (server: string, useCache: boolean): Promise<LoadedMemberTree> => {
    fromUpdate = false;
    const base = `${server.replace(/\/+$/, "")}/v1/plans/${planId}/tree`;
    let snapshot: DecodedSnapshot | undefined;
    let source: LoadedMemberTree["source"] = "snapshot";
    let downloadedBytes = 0;
    let snapshotBytes: Uint8Array | undefined;
    if (useCache && cachedBytes) {
      // A cache entry that no longer decodes is ignored and replaced.
      const cached = (() => {
        try {
          return decodeSnapshot(cachedBytes);
        } catch {
          return undefined;
        }
      })();
      const update = cached ? await download(fetcher, `${base}/${cached.head.root}/update`) : undefined;
      if (cached && update) {
        applyUpdate(cached, update);
        snapshot = cached;
        source = "update";
        fromUpdate = true;
        downloadedBytes = update.length;
      }
    }
    if (!snapshot) {
      const bytes = await download(fetcher, base);
      if (!bytes)
        throw new HuzhuError(
          ErrorCode.TreeServiceFailed,
          `the tree service at ${server} has no tree for plan ${planId}; trying another source`,
        );
      snapshot = decodeSnapshot(bytes);
      downloadedBytes = bytes.length;
      snapshotBytes = bytes;
    }
    await verifySnapshotRoot(ref, planId, snapshot);
    let absent: HuzhuError | undefined;
    if (options.commitment !== undefined) {
      try {
        verifySnapshotMember(snapshot, options.commitment);
      } catch (error) {
        if (!(error instanceof HuzhuError) || error.code !== ErrorCode.NotAMember) throw error;
        absent = error;
      }
    }
    // Cached once its root checks against the pool and nothing in it was found tampered with, even
    // when it is behind `latestRoot` or does not yet hold a member who has just joined: the next read
    // then needs only the update.
    if (options.cache) await options.cache.put(key, snapshotBytes ?? encodeSnapshot(snapshot.tree, snapshot.head));
    if (absent) throw absent;
    if (options.latestRoot !== undefined && snapshot.head.root !== options.latestRoot) {
      throw new HuzhuError(
        ErrorCode.SnapshotStale,
        `the tree service at ${server} is behind the pool (root ${snapshot.head.root}, the pool's is ${options.latestRoot}); trying another source`,
      );
    }
    return { tree: snapshot.tree, source, server, root: snapshot.head.root, downloadedBytes, refused };
  };

  for (const server of options.servers) {
    try {
      return await fromServer(server, true);
    } catch (error) {
      if (!(error instanceof HuzhuError)) throw error;
      if (fromUpdate) {
        // What the cache led to did not check (an entry from a service that misled us, or one this
        // service no longer extends): the service's whole snapshot decides, before trying another.
        try {
          return await fromServer(server, false);
        } catch (retry) {
          if (!(retry instanceof HuzhuError)) throw retry;
          refused.push({ server, code: retry.code, message: retry.message });
          lastRefusal = retry;
          continue;
        }
      }
      refused.push({ server, code: error.code, message: error.message });
      lastRefusal = error;
    }
  }
  if (options.fallbackToEvents === false) {
    const last = refused.at(-1);
    throw new HuzhuError(
      last?.code ?? ErrorCode.TreeServiceFailed,
      `no tree service gave a member tree that checks (${refused.map((r) => `${r.server}: ${r.code}`).join("; ") || "none given"}); try another tree service or read the pool's events`,
      { refused },
      { cause: lastRefusal },
    );
  }
  const tree = await loadMemberTree(ref, planId);
  return { tree, source: "events", root: tree.root, downloadedBytes: 0, refused };
}

export interface LoadedAssessorTree {
  tree: AssessorTree;
  source: "service" | "events";
  server?: string;
  refused: TreeRefusal[];
}

const DIGITS = /^(0|[1-9][0-9]{0,77})$/;

/** A tree service's assessor changes (JSON), refused with SNAPSHOT_INVALID if any field is malformed. */
function parseAssessorChanges(body: unknown, planId: bigint): AssessorChange[] {
  const bad = () => new HuzhuError(ErrorCode.SnapshotInvalid, "the tree service's assessor changes are malformed; trying another source");
  const changes = (body as { changes?: unknown })?.changes;
  if (!Array.isArray(changes)) throw bad();
  return changes.map((raw: unknown) => {
    const c = raw as { revoked?: unknown; leaf?: unknown; publicKey?: unknown; assessorRoot?: unknown; blockNumber?: unknown };
    const key = c.publicKey;
    const keyOk =
      key === undefined || (Array.isArray(key) && key.length === 2 && key.every((k) => typeof k === "string" && DIGITS.test(k)));
    const numbers = [c.leaf, c.assessorRoot, c.blockNumber];
    if (typeof c.revoked !== "boolean" || !keyOk || !numbers.every((n) => typeof n === "string" && DIGITS.test(n))) throw bad();
    return {
      planId,
      revoked: c.revoked,
      leaf: BigInt(c.leaf as string),
      ...(Array.isArray(key) ? { publicKey: [BigInt(key[0] as string), BigInt(key[1] as string)] as const } : {}),
      assessorRoot: BigInt(c.assessorRoot as string),
      blockNumber: BigInt(c.blockNumber as string),
    };
  });
}

/**
 * The plan's assessor set from the first tree service whose changes replay to the pool's current
 * assessor root, else from the pool's events (so a claim need not scan the chain's whole history).
 */
export async function loadAssessorTreeFromServices(
  ref: PoolRef,
  planId: bigint,
  options: Pick<TreeSourceOptions, "servers" | "fetch" | "fallbackToEvents">,
): Promise<LoadedAssessorTree> {
  const fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
  const refused: TreeRefusal[] = [];
  // The last refusal's error, kept as the cause when no source gives a tree that checks.
  let lastRefusal: HuzhuError | undefined;
  for (const server of options.servers) {
    const url = `${server.replace(/\/+$/, "")}/v1/plans/${planId}/assessors`;
    try {
      let response: Response;
      try {
        response = await fetcher(url, { headers: { accept: "application/json" } });
      } catch (error) {
        throw new HuzhuError(
          ErrorCode.TreeServiceFailed,
          `the tree service at ${url} could not be reached (${(error as Error).message}); trying another source`,
          {},
          { cause: error },
        );
      }
      if (!response.ok) {
        await response.body?.cancel();
        throw new HuzhuError(ErrorCode.TreeServiceFailed, `the tree service at ${url} answered ${response.status}; trying another source`);
      }
      const changes = parseAssessorChanges(await response.json().catch(() => undefined), planId);
      const tree = assessorTreeFromChanges(
        changes,
        () =>
          new HuzhuError(
            ErrorCode.SnapshotInvalid,
            "the tree service's assessor changes do not replay to the roots they name; trying another source",
          ),
      );
      const root = await ref.client.readContract({ address: ref.pool, abi: huzhuPoolAbi, functionName: "assessorRoot", args: [planId] });
      if (tree.root !== root) {
        throw new HuzhuError(
          ErrorCode.SnapshotStale,
          `the tree service's assessor set has root ${tree.root}, the pool's is ${root} (out of date or made up); trying another source`,
        );
      }
      return { tree, source: "service", server, refused };
    } catch (error) {
      if (!(error instanceof HuzhuError)) throw error;
      refused.push({ server, code: error.code, message: error.message });
      lastRefusal = error;
    }
  }
  if (options.fallbackToEvents === false) {
    throw new HuzhuError(
      refused.at(-1)?.code ?? ErrorCode.TreeServiceFailed,
      "no tree service gave an assessor set that checks; read the pool's events",
      { refused },
      { cause: lastRefusal },
    );
  }
  return { tree: await loadAssessorTree(ref, planId), source: "events", refused };
}
