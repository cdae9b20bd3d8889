/**
 * The tree service's HTTP API, a Fastify plugin the relayer registers under /v1 (or the standalone
 * server, service/trees/server.ts). Every answer is the whole tree or the whole change since a
 * root: nothing a client asks names a member, so the service learns nothing about who is claiming.
 *
 *   GET /plans/:planId/tree                   the current snapshot (binary); headers name its root, size, block
 *   GET /plans/:planId/tree/head              the same facts as JSON, for a client deciding whether to update
 *   GET /plans/:planId/tree/:root             the snapshot if `root` is the current root, else 404 TREE_ROOT_UNKNOWN
 *   GET /plans/:planId/tree/:root/update      what changed from `root` to the current root (binary), or 404 TREE_ROOT_UNKNOWN
 *   GET /plans/:planId/assessors              the plan's assessor changes (JSON), which a client replays and checks against the pool
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply } from "fastify";
import { Type } from "typebox";
import { Decimal, PlanParams } from "../sdk/relayer-wire.ts";
import type { SnapshotHead } from "../sdk/tree-snapshot.ts";
import { TreeErrorCode, treeErrorBody } from "./errors.ts";
import type { TreeIndex } from "./indexer.ts";

export { TreeErrorCode };

export const TREE_CONTENT_TYPE = "application/vnd.huzhu.member-tree";

function treeError(reply: FastifyReply, code: TreeErrorCode, message: string) {
  const body = treeErrorBody(code, message);
  return reply.code(body.statusCode).send(body);
}

// The plan id and field element forms of the relayer's wire schema, which hosts these routes.
const Params = PlanParams;
const RootParams = Type.Object({ planId: PlanParams.properties.planId, root: Decimal }, { additionalProperties: false });

function headJson(head: SnapshotHead) {
  return {
    planId: head.planId.toString(),
    root: head.root.toString(),
    size: head.size,
    block: head.block.toString(),
    blockHash: head.blockHash,
  };
}

export interface TreeRoutesOptions {
  trees: TreeIndex;
}

export const treeRoutes: FastifyPluginAsyncTypebox<TreeRoutesOptions> = async (app, { trees }) => {
  const binary = (reply: FastifyReply, head: SnapshotHead, bytes: Uint8Array) =>
    reply
      .type(TREE_CONTENT_TYPE)
      .header("x-huzhu-tree-root", head.root.toString())
      .header("x-huzhu-tree-size", String(head.size))
      .header("x-huzhu-tree-block", head.block.toString())
      .header("cache-control", "no-cache")
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

  const unknownPlan = (reply: FastifyReply, planId: string) =>
    treeError(
      reply,
      TreeErrorCode.PlanUnknown,
      `plan ${planId} has no members indexed here (no such plan, nobody joined yet, or this service has not caught up); try again shortly or read the pool's events`,
    );

  app.get("/plans/:planId/tree", { schema: { params: Params, tags: ["trees"] } }, async (request, reply) => {
    const planId = BigInt(request.params.planId);
    const head = trees.head(planId);
    const bytes = trees.snapshot(planId);
    if (!head || !bytes) return unknownPlan(reply, request.params.planId);
    return binary(reply, head, bytes);
  });

  app.get("/plans/:planId/tree/head", { schema: { params: Params, tags: ["trees"] } }, async (request, reply) => {
    const head = trees.head(BigInt(request.params.planId));
    if (!head) return unknownPlan(reply, request.params.planId);
    return headJson(head);
  });

  app.get("/plans/:planId/assessors", { schema: { params: Params, tags: ["trees"] } }, async (request, reply) => {
    const planId = BigInt(request.params.planId);
    const changes = trees.assessors(planId);
    const block = trees.cursor?.block;
    if (!changes || block === undefined) {
      return treeError(reply, TreeErrorCode.PlanUnknown, `plan ${planId} has no assessor indexed here; read the pool's events`);
    }
    return {
      planId: planId.toString(),
      block: block.toString(),
      changes: changes.map((c) => ({
        revoked: c.revoked,
        leaf: c.leaf.toString(),
        ...(c.publicKey ? { publicKey: [c.publicKey[0].toString(), c.publicKey[1].toString()] } : {}),
        assessorRoot: c.assessorRoot.toString(),
        blockNumber: c.blockNumber.toString(),
      })),
    };
  });

  app.get("/plans/:planId/tree/:root", { schema: { params: RootParams, tags: ["trees"] } }, async (request, reply) => {
    const planId = BigInt(request.params.planId);
    const head = trees.head(planId);
    const bytes = trees.snapshot(planId);
    if (!head || !bytes) return unknownPlan(reply, request.params.planId);
    if (head.root !== BigInt(request.params.root)) {
      return treeError(
        reply,
        TreeErrorCode.RootUnknown,
        `plan ${planId}'s current root is ${head.root}, not ${request.params.root}; fetch /v1/plans/${planId}/tree, or an update from the root you have`,
      );
    }
    return binary(reply, head, bytes);
  });

  app.get("/plans/:planId/tree/:root/update", { schema: { params: RootParams, tags: ["trees"] } }, async (request, reply) => {
    const planId = BigInt(request.params.planId);
    const head = trees.head(planId);
    if (!head) return unknownPlan(reply, request.params.planId);
    const bytes = trees.update(planId, BigInt(request.params.root));
    if (!bytes) {
      return treeError(
        reply,
        TreeErrorCode.RootUnknown,
        `this service never had root ${request.params.root} for plan ${planId} (or it left the chain in a reorganisation); fetch the whole snapshot at /v1/plans/${planId}/tree`,
      );
    }
    return binary(reply, head, bytes);
  });
};
