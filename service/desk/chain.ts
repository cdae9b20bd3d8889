/**
 * What the desk reads from chain: whether a plan exists, and each plan's assessor set (the tree of
 * keys whose root the pool holds). A plan's tree is rebuilt from the pool's events only when the
 * pool's assessor root changes, so a revoked assessor loses access at the next request.
 */
import type { Address, PublicClient } from "viem";
import { huzhuPoolAbi } from "../sdk/chain/abi.ts";
import { loadAssessorTree, type PoolRef } from "../sdk/chain/pool.ts";
import type { PublicKey } from "../sdk/encoding.ts";
import type { AssessorTree } from "../sdk/trees.ts";
import { DeskError, DeskErrorCode } from "./errors.ts";

export class DeskChain {
  readonly #ref: PoolRef;
  readonly #trees = new Map<bigint, { root: bigint; tree: AssessorTree }>();
  #plans = 0n;

  readonly client: PublicClient;
  readonly pool: Address;

  constructor(client: PublicClient, pool: Address, fromBlock: bigint, logChunk?: bigint) {
    this.client = client;
    this.pool = pool;
    this.#ref = { client, pool, fromBlock, ...(logChunk === undefined ? {} : { logChunk }) };
  }

  async #read<T>(what: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw new DeskError(DeskErrorCode.ChainUnavailable, `the desk could not read ${what} from the chain; try again in a moment`, {
        cause: error,
      });
    }
  }

  /** DESK_PLAN_UNKNOWN unless the pool has plan `planId`. */
  async requirePlan(planId: bigint): Promise<void> {
    if (planId >= 1n && planId <= this.#plans) return;
    this.#plans = await this.#read("the pool's plans", () =>
      this.client.readContract({ address: this.pool, abi: huzhuPoolAbi, functionName: "planCount" }),
    );
    if (planId < 1n || planId > this.#plans) {
      throw new DeskError(DeskErrorCode.PlanUnknown, `the pool has no plan ${planId} (it has ${this.#plans}); check the plan id`);
    }
  }

  /** The plan's assessor set as the pool holds it now. */
  async assessors(planId: bigint): Promise<AssessorTree> {
    await this.requirePlan(planId);
    const root = await this.#read("the plan's assessor root", () =>
      this.client.readContract({ address: this.pool, abi: huzhuPoolAbi, functionName: "assessorRoot", args: [planId] }),
    );
    const cached = this.#trees.get(planId);
    if (cached && cached.root === root) return cached.tree;
    const tree = await this.#read("the plan's assessor set", () => loadAssessorTree(this.#ref, planId));
    this.#trees.set(planId, { root, tree });
    return tree;
  }

  /** DESK_NOT_AN_ASSESSOR unless `publicKey` is in the plan's assessor set now. */
  async requireAssessor(planId: bigint, publicKey: PublicKey): Promise<void> {
    if (!(await this.assessors(planId)).has(publicKey)) {
      throw new DeskError(
        DeskErrorCode.NotAnAssessor,
        `this key is not one of plan ${planId}'s assessors on chain (never added, or revoked); ask the plan's admin to add it`,
      );
    }
  }
}
