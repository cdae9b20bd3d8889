/**
 * The relayer's view of the pool: cached plan rules, the cheap on-chain checks a claim must pass
 * before any proof is verified, and `eth_call` simulation of the claim itself.
 */
import {
  type Address,
  BaseError,
  type Chain,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type LocalAccount,
  type PublicClient,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { checkPoolChain } from "../kit/chain.ts";
import { huzhuPoolAbi, type PoolClaimRequest, type SolidityProof } from "../sdk/index.ts";
import { describePoolRevert } from "../sdk/pool-errors.ts";
import { poolErrorCode, RelayerError, RelayerErrorCode } from "./errors.ts";

/** The pool's ClaimRequest (the SDK owns its shape). */
export type ClaimArgs = PoolClaimRequest;
export type SolidityProofArgs = SolidityProof;

export interface PlanRules {
  planId: bigint;
  name: string;
  token: Address;
  claimCap: bigint;
  maxFeeBps: number;
  active: boolean;
  /** Unix seconds of epoch 0, and the length of an epoch in seconds. */
  start: bigint;
  periodLength: bigint;
}

/** How long after an epoch ends the pool still pays claims proven for it (HuzhuPool.EPOCH_GRACE). */
export const EPOCH_GRACE_SECONDS = 3_600n;

const PLAN_CACHE_MS = 5_000;

export class PoolGateway {
  readonly publicClient: PublicClient;
  readonly walletClient: WalletClient;
  readonly account: LocalAccount;
  readonly pool: Address;
  readonly chainId: number;
  readonly chain: Chain;
  #plans: { at: number; plans: PlanRules[] } | undefined;

  private constructor(rpcUrl: string, privateKey: `0x${string}`, pool: Address, chainId: number) {
    this.chain = defineChain({
      id: chainId,
      name: `chain ${chainId}`,
      nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl] } },
    });
    // Reads issued together (the cheap checks) travel as one JSON-RPC batch.
    const transport = http(rpcUrl, { retryCount: 0, timeout: 10_000, batch: { wait: 0 } });
    // cacheTime 0: the submitter acts on each new block, so the block number must never be stale.
    this.publicClient = createPublicClient({ chain: this.chain, transport, cacheTime: 0 });
    this.account = privateKeyToAccount(privateKey);
    this.walletClient = createWalletClient({ chain: this.chain, transport, account: this.account });
    this.pool = pool;
    this.chainId = chainId;
  }

  /** Connects, reads the chain id and checks a pool is deployed at the address. */
  static async connect(rpcUrl: string, privateKey: `0x${string}`, pool: Address): Promise<PoolGateway> {
    const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 2, timeout: 10_000 }) });
    const chainId = await checkPoolChain(probe, rpcUrl, pool);
    return new PoolGateway(rpcUrl, privateKey, pool, chainId);
  }

  get relayer(): Address {
    return this.account.address;
  }

  /** Every plan's rules (cached for a few seconds). */
  async plans(): Promise<PlanRules[]> {
    if (this.#plans && Date.now() - this.#plans.at < PLAN_CACHE_MS) return this.#plans.plans;
    const c = { address: this.pool, abi: huzhuPoolAbi } as const;
    const count = await this.publicClient.readContract({ ...c, functionName: "planCount" });
    const plans = await Promise.all(
      Array.from({ length: Number(count) }, async (_, i) => {
        const planId = BigInt(i + 1);
        const [plan, name] = await Promise.all([
          this.publicClient.readContract({ ...c, functionName: "getPlan", args: [planId] }),
          this.publicClient.readContract({ ...c, functionName: "planName", args: [planId] }),
        ]);
        return {
          planId,
          name,
          token: plan.token,
          claimCap: plan.claimCap,
          maxFeeBps: plan.maxFeeBps,
          active: plan.active,
          start: plan.start,
          periodLength: plan.periodLength,
        };
      }),
    );
    this.#plans = { at: Date.now(), plans };
    return plans;
  }

  async plan(planId: bigint): Promise<PlanRules> {
    const plan = (await this.plans()).find((p) => p.planId === planId);
    if (!plan)
      throw new RelayerError(RelayerErrorCode.UnknownPlan, `plan ${planId} does not exist on this pool; GET /v1/info lists the plans`);
    return plan;
  }

  /** What a transaction is priced at now (EIP-1559 max fee per gas, wei). */
  async maxFeePerGas(): Promise<bigint> {
    return (await this.publicClient.estimateFeesPerGas()).maxFeePerGas;
  }

  async nullifierSpent(nullifier: bigint): Promise<boolean> {
    return this.publicClient.readContract({ address: this.pool, abi: huzhuPoolAbi, functionName: "nullifierSpent", args: [nullifier] });
  }

  /** The checks that need only reads: plan, pause, roots, epoch, cap, nullifier. */
  async checkClaim(request: ClaimArgs): Promise<void> {
    const plan = await this.plan(request.planId);
    const c = { address: this.pool, abi: huzhuPoolAbi } as const;
    // Whether the plan runs is read now, not from the cached plan list: its admin may have just paused it.
    const [live, paused, memberRootKnown, assessorRootValid, epoch, spent] = await Promise.all([
      this.publicClient.readContract({ ...c, functionName: "getPlan", args: [request.planId] }),
      this.publicClient.readContract({ ...c, functionName: "paused" }),
      this.publicClient.readContract({
        ...c,
        functionName: "isKnownMemberRoot",
        args: [request.planId, request.memberRoot, request.memberRootSeq],
      }),
      this.publicClient.readContract({ ...c, functionName: "isValidAssessorRoot", args: [request.planId, request.assessorRoot] }),
      // The epoch a claim must name now (in a closing plan past its closing epoch, the closing epoch);
      // undefined once the plan's claims have ended.
      this.publicClient.readContract({ ...c, functionName: "claimEpochNow", args: [request.planId] }).catch((error: unknown) => {
        if (
          error instanceof BaseError &&
          error.walk((e) => e instanceof ContractFunctionRevertedError && e.data?.errorName === "HuzhuPool__ClaimsClosed")
        )
          return undefined;
        throw error;
      }),
      this.nullifierSpent(request.nullifier),
    ]);
    if (epoch === undefined) {
      throw new RelayerError(
        RelayerErrorCode.ClaimsClosed,
        `plan ${plan.planId} is closed: its claims have ended, and no claim can be paid`,
      );
    }
    // The pool's own refusals, as the catalogue words them: what the claim would revert with.
    if (paused) throw new RelayerError(RelayerErrorCode.PoolPaused, describePoolRevert("EnforcedPause").message);
    if (!live.active) {
      throw new RelayerError(RelayerErrorCode.PlanInactive, describePoolRevert("HuzhuPool__PlanInactive", [plan.planId]).message);
    }
    if (!memberRootKnown) {
      throw new RelayerError(
        RelayerErrorCode.UnknownMemberRoot,
        "the member root is not a recent root of this plan at the given memberRootSeq; re-read the member tree and prove again",
      );
    }
    if (!assessorRootValid) {
      throw new RelayerError(
        RelayerErrorCode.StaleAssessorRoot,
        "the assessor root is not the plan's current one; re-read the assessor set and prove again",
      );
    }
    if (request.claimEpoch !== epoch && request.claimEpoch + 1n !== epoch) {
      throw new RelayerError(
        RelayerErrorCode.WrongEpoch,
        `the claim is for epoch ${request.claimEpoch} but the plan takes claims for epoch ${epoch}; prove again for that epoch`,
      );
    }
    if (request.amount === 0n) throw new RelayerError(RelayerErrorCode.ZeroAmount, "the amount must be above zero");
    if (request.amount > plan.claimCap) {
      throw new RelayerError(
        RelayerErrorCode.AmountOverCap,
        `the amount ${request.amount} exceeds plan ${plan.planId}'s claim cap ${plan.claimCap}`,
      );
    }
    if (spent) throw new RelayerError(RelayerErrorCode.NullifierSpent, "this claim has already been paid (its nullifier is spent)");
  }

  #claimCall(request: ClaimArgs, proof: SolidityProofArgs) {
    return {
      address: this.pool,
      abi: huzhuPoolAbi,
      functionName: "claim",
      args: [request, proof],
      account: this.account,
      value: request.gasDrop,
    } as const;
  }

  /** Runs the claim as one eth_call from the relayer's address; throws the pool's refusal as a RelayerError. */
  async simulate(request: ClaimArgs, proof: SolidityProofArgs): Promise<void> {
    await this.publicClient.simulateContract(this.#claimCall(request, proof)).catch((error: unknown) => {
      throw toRelayerError(error);
    });
  }

  /** Gas for the claim transaction (eth_estimateGas runs the claim several times: only at send time). */
  async estimateGas(request: ClaimArgs, proof: SolidityProofArgs): Promise<bigint> {
    return this.publicClient.estimateContractGas(this.#claimCall(request, proof)).catch((error: unknown) => {
      throw toRelayerError(error);
    });
  }

  async ready(minBalance: bigint): Promise<{ ready: boolean; reason?: string; block?: bigint; balance?: bigint }> {
    try {
      const [block, balance] = await Promise.all([
        this.publicClient.getBlockNumber(),
        this.publicClient.getBalance({ address: this.relayer }),
      ]);
      if (balance < minBalance)
        return {
          ready: false,
          reason: `the relayer wallet ${this.relayer} holds ${balance} wei, below ${minBalance}: fund it`,
          block,
          balance,
        };
      return { ready: true, block, balance };
    } catch (error) {
      return { ready: false, reason: `the chain is unreachable (${(error as Error).message.split("\n")[0]})` };
    }
  }
}

/** Maps a viem error from a pool call to the relayer's code, naming the pool's custom error. */
export function toRelayerError(error: unknown): RelayerError {
  if (error instanceof RelayerError) return error;
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError) {
      const name = revert.data?.errorName ?? "";
      const args = revert.data?.args ?? [];
      // The catalogue's sentence (what happened, what to do), then the revert itself for whoever checks it on chain.
      const what = name
        ? `${describePoolRevert(name, args).message} [${name}(${args.map(String).join(", ")})]`
        : (revert.reason ?? "an unknown reason");
      return new RelayerError(poolErrorCode(name), `the pool refuses this claim: ${what}`, undefined, { cause: error });
    }
    return new RelayerError(
      RelayerErrorCode.NotReady,
      `the chain did not answer the simulation (${error.shortMessage}); try again shortly`,
      undefined,
      { cause: error },
    );
  }
  return new RelayerError(RelayerErrorCode.SimulationFailed, "the pool refuses this claim");
}
