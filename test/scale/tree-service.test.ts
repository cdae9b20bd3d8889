/**
 * The tree service end to end on a real chain and real HTTP: the index follows joins and renewals,
 * serves snapshots a client verifies against the pool, refuses tampered, stale and cut-off files
 * with their codes, updates a cached snapshot incrementally, rewinds past a reorganisation,
 * resumes after a restart, and a client falls back to another service or to events.
 */
import { rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAssessorTree, loadMemberTree } from "../../service/sdk/chain/pool.ts";
import { loadAssessorTreeFromServices, loadMemberTreeFromServices } from "../../service/sdk/chain/tree-source.ts";
import type { Identity } from "../../service/sdk/identity.ts";
import { FIELD_BYTES } from "../../service/sdk/poseidon-wasm.ts";
import { decodeSnapshot, encodeSnapshot, SNAPSHOT_FLOOR, SNAPSHOT_HEADER_BYTES } from "../../service/sdk/tree-snapshot.ts";
import { RECORD_BYTES } from "../../service/sdk/trees.ts";
import { TreeIndexError } from "../../service/trees/indexer.ts";
import { type TreePool, treePool } from "../../testkit/pool.ts";
import { treeService } from "./fixture.ts";
import { MemoryCache } from "./memory-cache.ts";

/** Serves fixed bytes as a tree service would (a dishonest or broken one). */
async function fakeService(bytes: () => Uint8Array): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    if (request.url?.endsWith("/update")) {
      response.writeHead(404).end();
      return;
    }
    const body = bytes();
    response.writeHead(200, { "content-type": "application/vnd.huzhu.member-tree", "content-length": body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe("tree service", () => {
  let chain: TreePool;
  let service: Awaited<ReturnType<typeof treeService>>;
  let members: Identity[];
  const fakes: Server[] = [];

  beforeAll(async () => {
    chain = await treePool();
    // 40 members: a tree of depth 6, so levels from the snapshot floor (4) up are served.
    members = await chain.joinMany(40);
    await chain.addAssessor();
    await chain.addAssessor();
    service = await treeService(chain);
    await service.index.sync();
  }, 120_000);

  afterAll(async () => {
    await service?.close();
    for (const server of fakes) server.close();
  });

  async function fake(bytes: () => Uint8Array) {
    const f = await fakeService(bytes);
    fakes.push(f.server);
    return f.url;
  }

  async function currentSnapshot(): Promise<Uint8Array> {
    const response = await fetch(`${service.url}/v1/plans/${chain.planId}/tree`);
    expect(response.status).toBe(200);
    return new Uint8Array(await response.arrayBuffer());
  }

  it("follows every join with the pool's root and serves a snapshot a member verifies against the pool", async () => {
    const member = members[17] as Identity;
    expect(service.index.tree(chain.planId)?.root).toBe(await chain.chainRoot());
    const loaded = await loadMemberTreeFromServices(chain.ref, chain.planId, {
      servers: [service.url],
      commitment: member.commitment,
      fallbackToEvents: false,
    });
    expect(loaded).toMatchObject({ source: "snapshot", server: service.url, root: await chain.chainRoot(), refused: [] });
    // The snapshot leaves out levels below the floor: records, then levels 4..6 (3 + 2 + 1 nodes).
    expect(loaded.downloadedBytes).toBe(SNAPSHOT_HEADER_BYTES + 40 * RECORD_BYTES + (3 + 2 + 1) * FIELD_BYTES);
    const fromEvents = await loadMemberTree(chain.ref, chain.planId);
    const record = fromEvents.find(member.commitment);
    if (!record) throw new Error("member not found");
    expect(loaded.tree.proof(record)).toEqual(fromEvents.proof(record));
  });

  it("names the snapshot by its root, and answers TREE_ROOT_UNKNOWN for another root", async () => {
    const root = await chain.chainRoot();
    const head = await (await fetch(`${service.url}/v1/plans/${chain.planId}/tree/head`)).json();
    expect(head).toMatchObject({ planId: String(chain.planId), root: root.toString(), size: 40 });
    const named = await fetch(`${service.url}/v1/plans/${chain.planId}/tree/${root}`);
    expect(named.headers.get("x-huzhu-tree-root")).toBe(root.toString());
    expect(decodeSnapshot(new Uint8Array(await named.arrayBuffer())).head.root).toBe(root);
    const other = await fetch(`${service.url}/v1/plans/${chain.planId}/tree/12345`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: "TREE_ROOT_UNKNOWN" });
    const unknownPlan = await fetch(`${service.url}/v1/plans/99/tree`);
    expect(await unknownPlan.json()).toMatchObject({ statusCode: 404, code: "TREE_PLAN_UNKNOWN" });
  });

  describe("refuses a wrong snapshot", () => {
    it("with one node on the member's path changed: SNAPSHOT_INVALID", async () => {
      const good = await currentSnapshot();
      const member = members[3] as Identity; // leaf 3: its level-4 sibling is node 1 of level 4
      const bad = good.slice();
      const level4 = SNAPSHOT_HEADER_BYTES + 40 * RECORD_BYTES;
      bad[level4 + FIELD_BYTES + 5] = ((bad[level4 + FIELD_BYTES + 5] ?? 0) + 1) % 256;
      const url = await fake(() => bad);
      await expect(
        loadMemberTreeFromServices(chain.ref, chain.planId, { servers: [url], commitment: member.commitment, fallbackToEvents: false }),
      ).rejects.toMatchObject({ code: "SNAPSHOT_INVALID", message: expect.stringMatching(/^no tree service gave/) });
      const refused = await loadMemberTreeFromServices(chain.ref, chain.planId, { servers: [url], commitment: member.commitment }).then(
        (r) => r.refused,
      );
      expect(refused).toEqual([
        {
          server: url,
          code: "SNAPSHOT_INVALID",
          message: expect.stringMatching(/^the snapshot was tampered with: member 3's Merkle path hashes to/),
        },
      ]);
    });

    it("with a member's record changed: SNAPSHOT_INVALID (its leaf no longer hashes to the root)", async () => {
      const bad = (await currentSnapshot()).slice();
      const member = members[5] as Identity;
      // Member 5's paidThrough, the last 4 bytes of its record.
      const at = SNAPSHOT_HEADER_BYTES + 5 * RECORD_BYTES + 36;
      bad[at] = ((bad[at] ?? 0) + 1) % 256;
      const url = await fake(() => bad);
      const result = await loadMemberTreeFromServices(chain.ref, chain.planId, { servers: [url], commitment: member.commitment });
      expect(result.source).toBe("events");
      expect(result.refused.map((r) => r.code)).toEqual(["SNAPSHOT_INVALID"]);
      expect(result.root).toBe(await chain.chainRoot());
    });

    it("whose root the pool never had: SNAPSHOT_STALE", async () => {
      // A consistent tree with one made-up member: every hash checks, but the root is not the pool's.
      const real = decodeSnapshot(await currentSnapshot());
      const tree = await loadMemberTree(chain.ref, chain.planId);
      tree.add({ commitment: 123456789n, eligibleFrom: 0n, paidThrough: 99n });
      const forged = encodeSnapshot(tree, real.head);
      const url = await fake(() => forged);
      await expect(
        loadMemberTreeFromServices(chain.ref, chain.planId, {
          servers: [url],
          commitment: (members[0] as Identity).commitment,
          fallbackToEvents: false,
        }),
      ).rejects.toMatchObject({ code: "SNAPSHOT_STALE" });
    });

    it("cut off or padded: SNAPSHOT_TRUNCATED", async () => {
      const good = await currentSnapshot();
      for (const bad of [good.subarray(0, good.length - 1), good.subarray(0, 20), new Uint8Array([...good, 0])]) {
        const url = await fake(() => bad);
        await expect(
          loadMemberTreeFromServices(chain.ref, chain.planId, { servers: [url], fallbackToEvents: false }),
        ).rejects.toMatchObject({ code: "SNAPSHOT_TRUNCATED" });
      }
    });

    it("and takes the tree from the next service that checks", async () => {
      const bad = (await currentSnapshot()).subarray(0, 100);
      const url = await fake(() => bad);
      const result = await loadMemberTreeFromServices(chain.ref, chain.planId, {
        servers: [url, "http://127.0.0.1:1", service.url],
        commitment: (members[9] as Identity).commitment,
        fallbackToEvents: false,
      });
      expect(result).toMatchObject({ source: "snapshot", server: service.url });
      expect(result.refused.map((r) => r.code)).toEqual(["SNAPSHOT_TRUNCATED", "TREE_SERVICE_FAILED"]);
    });
  });

  it("serves the plan's assessor changes, which replay to the pool's assessor root; a made-up set is refused", async () => {
    const fromEvents = await loadAssessorTree(chain.ref, chain.planId);
    const loaded = await loadAssessorTreeFromServices(chain.ref, chain.planId, { servers: [service.url], fallbackToEvents: false });
    expect(loaded).toMatchObject({ source: "service", server: service.url, refused: [] });
    expect(loaded.tree.root).toBe(fromEvents.root);
    expect(loaded.tree.size).toBe(2);

    // A service that leaves out the second key: every root it names checks, but the pool's is newer.
    const body = await (await fetch(`${service.url}/v1/plans/${chain.planId}/assessors`)).json();
    const shorter = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ...body, changes: body.changes.slice(0, 1) }));
    });
    await new Promise<void>((resolve) => shorter.listen(0, "127.0.0.1", resolve));
    fakes.push(shorter);
    const url = `http://127.0.0.1:${(shorter.address() as AddressInfo).port}`;
    const result = await loadAssessorTreeFromServices(chain.ref, chain.planId, { servers: [url] });
    expect(result).toMatchObject({ source: "events", refused: [{ server: url, code: "SNAPSHOT_STALE" }] });
    expect(result.tree.root).toBe(fromEvents.root);
  });

  it("falls back to the pool's events when no service answers", async () => {
    const result = await loadMemberTreeFromServices(chain.ref, chain.planId, { servers: ["http://127.0.0.1:1"] });
    expect(result).toMatchObject({ source: "events", root: await chain.chainRoot() });
    expect(result.refused).toEqual([expect.objectContaining({ code: "TREE_SERVICE_FAILED" })]);
  });

  it("updates a cached snapshot with only what changed since its root", async () => {
    const cache = new MemoryCache();
    const member = members[0] as Identity;
    const first = await loadMemberTreeFromServices(chain.ref, chain.planId, {
      servers: [service.url],
      cache,
      commitment: member.commitment,
    });
    expect(first.source).toBe("snapshot");
    const newcomers = await chain.joinMany(3);
    await chain.renew(members[30] as Identity);
    await service.index.sync();
    const second = await loadMemberTreeFromServices(chain.ref, chain.planId, {
      servers: [service.url],
      cache,
      commitment: (newcomers[2] as Identity).commitment,
    });
    expect(second).toMatchObject({ source: "update", root: await chain.chainRoot(), refused: [] });
    expect(second.tree.size).toBe(43);
    // 4 records changed (3 joins, 1 renewal) and their nodes from level 4 up; far less than the snapshot.
    expect(second.downloadedBytes).toBeLessThan(first.downloadedBytes / 3);
    const cached = decodeSnapshot(cache.entries.values().next().value as Uint8Array);
    expect(cached.head.root).toBe(second.root);
    expect(cached.tree.find(newcomers[2]?.commitment ?? 0n)).toBeDefined();
    expect(SNAPSHOT_FLOOR).toBe(4);
    members.push(...newcomers);
  });

  it("caches a snapshot that does not yet hold a member who has just joined; once the service catches up, only the update is read", async () => {
    const cache = new MemoryCache();
    const before = await currentSnapshot();
    const newcomer = await chain.join();
    // The service has not seen the join yet: its snapshot checks against the pool but lacks the member.
    const early = await loadMemberTreeFromServices(chain.ref, chain.planId, {
      servers: [service.url],
      cache,
      commitment: newcomer.commitment,
    });
    expect(early).toMatchObject({ source: "events", root: await chain.chainRoot() });
    expect(early.refused).toEqual([
      {
        server: service.url,
        code: "NOT_A_MEMBER",
        message: expect.stringMatching(/^the snapshot \(root [0-9]+, [0-9]+ members\) does not hold this identity/),
      },
    ]);
    expect(decodeSnapshot(cache.entries.values().next().value as Uint8Array).head.root).toBe(decodeSnapshot(before).head.root);
    await service.index.sync();
    const later = await loadMemberTreeFromServices(chain.ref, chain.planId, {
      servers: [service.url],
      cache,
      commitment: newcomer.commitment,
    });
    expect(later).toMatchObject({ source: "update", root: await chain.chainRoot(), refused: [] });
    members.push(newcomer);
  });

  it("replaces a cached snapshot that a misleading service planted with the honest service's whole snapshot", async () => {
    const cache = new MemoryCache();
    const member = members[9] as Identity;
    // A snapshot under a real root in which member 9's commitment was changed: it is absent, not detectably tampered.
    const planted = (await currentSnapshot()).slice();
    const at = SNAPSHOT_HEADER_BYTES + 9 * RECORD_BYTES + 7;
    planted[at] = ((planted[at] ?? 0) + 1) % 256;
    const url = await fake(() => planted);
    const misled = await loadMemberTreeFromServices(chain.ref, chain.planId, { servers: [url], cache, commitment: member.commitment });
    expect(misled.refused.map((r) => r.code)).toEqual(["NOT_A_MEMBER"]);
    expect(cache.entries.size).toBe(1);
    // The honest service extends the planted entry, which still lacks the member; its whole snapshot decides.
    const honest = await loadMemberTreeFromServices(chain.ref, chain.planId, {
      servers: [service.url],
      cache,
      commitment: member.commitment,
      fallbackToEvents: false,
    });
    expect(honest).toMatchObject({ source: "snapshot", root: await chain.chainRoot(), refused: [] });
    expect(decodeSnapshot(cache.entries.values().next().value as Uint8Array).tree.find(member.commitment)).toBeDefined();
  });

  it("rewinds past a reorganisation and serves the tree of the chain that stayed", async () => {
    const cache = new MemoryCache();
    const before = await chain.snapshot();
    const orphans = await chain.joinMany(2);
    await chain.renew(members[1] as Identity);
    await service.index.sync();
    const orphanedRoot = await chain.chainRoot();
    await loadMemberTreeFromServices(chain.ref, chain.planId, {
      servers: [service.url],
      cache,
      commitment: (orphans[0] as Identity).commitment,
    });

    // The two joins and the renewal are reorganised away; another join and more blocks take their place.
    await before.restore();
    const survivor = await chain.join();
    await chain.networkHelpers.mine(5);
    const result = await service.index.sync();
    expect(result.undone).toBe(3);
    expect(result.applied).toBe(1);
    expect(service.index.tree(chain.planId)?.root).toBe(await chain.chainRoot());
    expect(service.index.tree(chain.planId)?.find(orphans[0]?.commitment ?? 0n)).toBeUndefined();

    // The cached snapshot's root left the chain: no update from it, the whole snapshot instead.
    const update = await fetch(`${service.url}/v1/plans/${chain.planId}/tree/${orphanedRoot}/update`);
    expect(update.status).toBe(404);
    const loaded = await loadMemberTreeFromServices(chain.ref, chain.planId, {
      servers: [service.url],
      cache,
      commitment: survivor.commitment,
      fallbackToEvents: false,
    });
    expect(loaded).toMatchObject({ source: "snapshot", root: await chain.chainRoot() });
    expect((await loadMemberTree(chain.ref, chain.planId)).root).toBe(loaded.root);
    members.push(survivor);
  });

  it("resumes from its file after a restart, then applies only new events", async () => {
    const rootBefore = service.index.tree(chain.planId)?.root;
    const dataDir = service.dataDir;
    await service.close();
    await chain.join();
    service = await treeService(chain, dataDir);
    expect(service.index.tree(chain.planId)?.root).toBe(rootBefore);
    const result = await service.index.sync();
    expect(result).toMatchObject({ applied: 1, undone: 0 });
    expect(service.index.tree(chain.planId)?.root).toBe(await chain.chainRoot());
  });

  it("refuses to open a file whose tree does not end at its last event's root, with TREE_INDEX_CORRUPT", async () => {
    const dataDir = service.dataDir;
    const file = service.store.location;
    await service.close();
    const db = new DatabaseSync(file);
    db.prepare("UPDATE tree_events SET root = '1' WHERE plan_id = ? AND seq = (SELECT MAX(seq) FROM tree_events WHERE plan_id = ?)").run(
      chain.planId.toString(),
      chain.planId.toString(),
    );
    db.close();
    const reopened = treeService(chain, dataDir);
    await expect(reopened).rejects.toBeInstanceOf(TreeIndexError);
    await expect(reopened).rejects.toMatchObject({
      code: "TREE_INDEX_CORRUPT",
      message: `the tree index ${file} holds a tree for plan ${chain.planId} whose root is not its last event's; delete the file to rebuild it from the chain`,
    });
    // As it says: without the file, the index is rebuilt from the chain.
    rmSync(file);
    service = await treeService(chain, dataDir);
    await service.index.sync();
    expect(service.index.tree(chain.planId)?.root).toBe(await chain.chainRoot());
  });
});
