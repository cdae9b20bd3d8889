/**
 * `huzhu claim` and `huzhu status`: prove an approved claim on this machine and have a relayer
 * submit it (so your wallet never appears), or submit it yourself with --direct; then follow it.
 */
import type { Command } from "commander";
import { type Address, formatEther, getAddress, parseEther } from "viem";
import { parseApproval } from "../../sdk/assessor.ts";
import { huzhuPoolAbi } from "../../sdk/chain/abi.ts";
import { buildClaim } from "../../sdk/chain/claim.ts";
import { claimArtifacts } from "../../sdk/node.ts";
import {
  type ClaimStatus,
  claimSubmission,
  quoteWithSuggestedDrop,
  RelayerClient,
  type RelayerInfo,
  type SignedQuote,
  verifyQuoteSignature,
} from "../../sdk/relayer-client.ts";
import { run } from "../lib/action.ts";
import { amountJson, formatAmount } from "../lib/amounts.ts";
import { addChainOptions, addressOption, type ChainOptions, connectPool, requirePlan } from "../lib/chain.ts";
import { CliError } from "../lib/errors.ts";
import { readJsonFile } from "../lib/files.ts";
import { addIdentityOptions, type IdentityOptions, unlockIdentity } from "../lib/identity.ts";
import { keyValues, type Output } from "../lib/output.ts";
import { proofProgress } from "../lib/progress.ts";
import { addTreeOptions, FileSnapshotCache, noteMemberTree, type TreeOptions, treeServices } from "../lib/trees.ts";
import { sendSimulated } from "../lib/tx.ts";
import { addWalletOptions, loadAccount, type WalletOptions, walletClient } from "../lib/wallet.ts";

const DEFAULT_RELAYER = "http://127.0.0.1:8787";

interface ClaimOptions extends ChainOptions, IdentityOptions, WalletOptions, TreeOptions {
  plan: string;
  approval: string;
  recipient: string;
  relayer?: string;
  direct?: boolean;
  /** "auto" (the relayer's suggested drop), an amount of the chain's native coin, or false (--no-gas-drop). */
  gasDrop: string | false;
  wait: boolean;
}

/** What the member asked for: the relayer's suggested drop, a fixed amount (wei), or none. */
type GasDropWish = { kind: "auto" } | { kind: "fixed"; wei: bigint };

function parseGasDrop(value: string | false): GasDropWish {
  if (value === false) return { kind: "fixed", wei: 0n };
  if (value === "auto") return { kind: "auto" };
  if (!/^(0|[1-9][0-9]*)(\.[0-9]{1,18})?$/.test(value)) {
    throw new CliError(
      "BAD_GAS_DROP",
      `--gas-drop must be "auto" or an amount of the chain's native coin such as 0.0005, got ${JSON.stringify(value)}; --no-gas-drop asks for none`,
    );
  }
  return { kind: "fixed", wei: parseEther(value) };
}

function ether(wei: bigint): string {
  return `${formatEther(wei)} ETH`;
}

function relayerUrl(opts: { relayer?: string }): string {
  return opts.relayer ?? (process.env.HUZHU_RELAYER_URL || DEFAULT_RELAYER);
}

function statusLines(status: ClaimStatus): Array<[string, string]> {
  const lines: Array<[string, string]> = [
    ["claim", status.id],
    ["status", status.status],
  ];
  if (status.txHash) lines.push(["transaction", status.txHash]);
  if (status.blockNumber)
    lines.push(["block", `${status.blockNumber}${status.confirmations === undefined ? "" : ` (${status.confirmations} confirmations)`}`]);
  if (status.status === "waiting_for_funds") {
    lines.push(["waiting", `${status.code ?? "INSUFFICIENT_POOL_FUNDS"}: ${status.reason ?? ""}`]);
    if (status.heldUntil) lines.push(["held until", `${status.heldUntil} (the relayer sends it by itself once the plan can pay it)`]);
  } else if (status.code) {
    lines.push(["failure", `${status.code}: ${status.reason ?? ""}`]);
    if (status.final === false)
      lines.push(["next", "prove again (fresh quote, current epoch) and send the new proof: it replaces this claim"]);
  }
  return lines;
}

function failedClaim(status: ClaimStatus): CliError {
  return new CliError(status.code ?? "CLAIM_FAILED", `claim ${status.id} failed: ${status.reason ?? status.code ?? "no reason given"}`);
}

function parseRecipient(text: string): Address {
  const recipient = addressOption(text, "--recipient");
  if (/^0x0{40}$/.test(recipient)) throw new CliError("BAD_ADDRESS", "--recipient must not be the zero address");
  return recipient;
}

async function claim(opts: ClaimOptions, out: Output): Promise<void> {
  const recipient = parseRecipient(opts.recipient);
  const approval = parseApproval(
    await readJsonFile(opts.approval, "approval file", "the assessor writes it with `huzhu assessor approve`"),
  );
  const connection = await connectPool(opts);
  const { plan, token } = await requirePlan(connection, opts.plan);
  if (approval.planId !== plan.planId)
    throw new CliError("APPROVAL_WRONG_PLAN", `the approval is for plan ${approval.planId}, not plan ${plan.planId}`);
  if (!plan.active) throw new CliError("PLAN_INACTIVE", `plan ${plan.planId} is paused by its admin; it pays no claims now`);
  const { identity } = await unlockIdentity(opts);
  const wish = parseGasDrop(opts.gasDrop);

  // Fee terms: the relayer's signed quote, or none when the member submits from their own wallet.
  let relayer: Address;
  let fee: bigint;
  let gasDrop: bigint;
  let client: RelayerClient | undefined;
  let signedQuote: Awaited<ReturnType<RelayerClient["quote"]>> | undefined;
  let account: Awaited<ReturnType<typeof loadAccount>> | undefined;
  if (opts.direct) {
    account = await loadAccount(opts, connection, out);
    out.warn(`--direct submits from ${account.address}: anyone can link this wallet to the claim paid to ${recipient}`);
    relayer = account.address;
    fee = 0n;
    // From your own wallet a drop only moves coin between two of your addresses: none unless asked for.
    gasDrop = wish.kind === "fixed" ? wish.wei : 0n;
  } else {
    client = new RelayerClient(relayerUrl(opts));
    const info = await client.info();
    if (info.chainId !== connection.chainId || info.pool.toLowerCase() !== connection.pool.toLowerCase()) {
      throw new CliError(
        "RELAYER_MISMATCH",
        `the relayer at ${client.baseUrl} serves pool ${info.pool} on chain ${info.chainId}, not pool ${connection.pool} on chain ${connection.chainId}`,
      );
    }
    signedQuote = await quoteWithGasDrop(client, info, plan.planId, approval.amount, wish, out);
    const { quote } = signedQuote;
    if (
      !(await verifyQuoteSignature(connection.chainId, connection.pool, signedQuote)) ||
      quote.relayer.toLowerCase() !== info.relayer.toLowerCase()
    ) {
      throw new CliError("QUOTE_INVALID", "the relayer's quote is not signed by the relayer it names");
    }
    relayer = getAddress(quote.relayer);
    fee = BigInt(quote.fee);
    gasDrop = BigInt(quote.gasDrop);
    const drop = gasDrop > 0n ? `, including a gas drop of ${ether(gasDrop)} to ${recipient}` : "";
    out.note(
      `relayer ${client.baseUrl} quotes a fee of ${formatAmount(fee, token)}${drop} (quote valid until ${new Date(quote.expiresAt * 1000).toISOString()})`,
    );
  }

  // The member tree from tree services (the relayer's own, then --tree-service / HUZHU_TREE_SERVICES),
  // its snapshot cached under HUZHU_HOME/trees and checked against the pool; the events if none checks.
  const servers = treeServices(opts, client ? [client.baseUrl] : []);
  const where = servers.length > 0 ? `${servers.join(", ")} (else the chain's events)` : "the chain's events";
  out.note(`reading plan ${plan.planId}'s member tree from ${where} and its assessor tree from the chain`);
  // buildClaim checks every condition in plain terms before the (slow) proof.
  const progress = proofProgress();
  const built = await buildClaim(connection.ref, {
    identity,
    approval,
    recipient,
    relayer,
    fee,
    gasDrop,
    artifacts: claimArtifacts(),
    onProgress: progress.update,
    trees: { servers, cache: new FileSnapshotCache() },
    onMemberTree: (loaded) => noteMemberTree(plan.planId, loaded, out),
  });
  progress.finish();
  const c = built.claimProof.claim;

  const payout = approval.amount - fee;
  if (opts.direct) {
    if (account === undefined) throw new Error("unreachable: no account for a direct claim");
    const wallet = walletClient(account, connection);
    const simulated = await connection.client.simulateContract({
      account,
      address: connection.pool,
      abi: huzhuPoolAbi,
      functionName: "claim",
      args: [built.request, built.solidityProof],
      value: gasDrop,
    });
    const { hash, receipt } = await sendSimulated(connection, wallet, simulated, out, "claim");
    out.result(
      {
        status: "confirmed",
        planId: plan.planId.toString(),
        nullifier: c.nullifier.toString(),
        recipient,
        payout: amountJson(payout, token),
        fee: amountJson(fee, token),
        gasDrop: gasDrop.toString(),
        txHash: hash,
        blockNumber: receipt.blockNumber.toString(),
      },
      keyValues([
        ["status", "confirmed"],
        ["paid", `${formatAmount(payout, token)} to ${recipient}`],
        ["transaction", hash],
        ["block", receipt.blockNumber.toString()],
      ]),
    );
    return;
  }

  if (client === undefined || signedQuote === undefined) throw new Error("unreachable: no relayer quote");
  const submitted = await client.submitClaim(claimSubmission(signedQuote, built.claimProof, recipient, built.request.memberRootSeq));
  out.note(`submitted to ${client.baseUrl}: claim ${submitted.id}${submitted.duplicate ? " (already submitted before)" : ""}`);
  const base = {
    id: submitted.id,
    planId: plan.planId.toString(),
    recipient,
    payout: amountJson(payout, token),
    fee: amountJson(fee, token),
    gasDrop: gasDrop.toString(),
  };
  if (!opts.wait) {
    out.result(
      { ...base, status: submitted.status },
      `${keyValues([
        ["claim", submitted.id],
        ["status", submitted.status],
      ])}\nFollow it with \`huzhu status ${submitted.id} --relayer ${client.baseUrl} --wait\`.`,
    );
    return;
  }
  const final = await client.waitForClaim(submitted.id, { onUpdate: (s) => out.note(`claim ${s.id}: ${s.status}`) });
  if (final.status === "failed") throw failedClaim(final);
  out.result(
    { ...base, status: final.status, txHash: final.txHash, blockNumber: final.blockNumber },
    keyValues([
      ...statusLines(final),
      ["paid", `${formatAmount(payout, token)} to ${recipient} (relayer fee ${formatAmount(fee, token)})`],
      ...(gasDrop > 0n
        ? ([["gas drop", `${ether(gasDrop)} to ${recipient}, enough to move the payout on`]] as Array<[string, string]>)
        : []),
    ]),
  );
}

/**
 * The relayer's quote with the gas drop asked for: a fixed drop the relayer refuses is an error;
 * "auto" takes the SDK's default (the suggested drop, or none, with a warning saying why).
 */
async function quoteWithGasDrop(
  client: RelayerClient,
  info: RelayerInfo,
  planId: bigint,
  amount: bigint,
  wish: GasDropWish,
  out: Output,
): Promise<SignedQuote> {
  if (wish.kind === "fixed") return client.quote(planId, amount, wish.wei);
  const { signed, dropped } = await quoteWithSuggestedDrop(client, info, planId, amount);
  const noDrop =
    "without a gas drop the fresh address holds no coin to pay gas: moving the payout then needs gas from elsewhere, which can link the two (docs/PRIVACY.md)";
  if (dropped?.reason === "not-offered") out.warn(`the relayer sends no gas drop for plan ${planId}; ${noDrop}`);
  if (dropped?.reason === "fee-limit") {
    out.warn(`the plan's fee limit cannot pay for a gas drop of ${ether(dropped.wei)} on this amount (${dropped.message}); ${noDrop}`);
  }
  return signed;
}

export function registerClaim(program: Command): void {
  addWalletOptions(
    addIdentityOptions(
      addChainOptions(
        addTreeOptions(program.command("claim"))
          .description("prove an approved claim locally and have a relayer submit it (or submit it yourself with --direct)")
          .requiredOption("--plan <id>", "plan id")
          .requiredOption("--approval <file>", "the approval file from the assessor")
          .requiredOption("--recipient <address>", "where the payout goes (use a fresh address for privacy)")
          .option("--relayer <url>", `relayer URL (env HUZHU_RELAYER_URL; default ${DEFAULT_RELAYER})`)
          .option("--direct", "submit from your own wallet instead (fee 0; links that wallet to the payout)")
          .option(
            "--gas-drop <amount>",
            'native coin the relayer sends to the recipient with the payout, so it can pay gas to move it: "auto" (the relayer\'s suggestion) or an amount such as 0.0005; priced into the fee',
            "auto",
          )
          .option("--no-gas-drop", "ask for no gas drop")
          .option("--no-wait", "return once the relayer has accepted the claim"),
      ),
    ),
  ).action(run<ClaimOptions>(async ({ out, opts }) => claim(opts, out)));

  program
    .command("status <claimId>")
    .description("a relayer-submitted claim's status")
    .option("--relayer <url>", `relayer URL (env HUZHU_RELAYER_URL; default ${DEFAULT_RELAYER})`)
    .option("--wait", "wait until the claim is confirmed or failed")
    .action(
      run<{ relayer?: string; wait?: boolean }, [string]>(async ({ out, opts }, id) => {
        const client = new RelayerClient(relayerUrl(opts));
        const status = opts.wait
          ? await client.waitForClaim(id, {
              onUpdate: (s) => out.note(`claim ${s.id}: ${s.status}${s.status === "waiting_for_funds" ? ` (${s.reason ?? s.code})` : ""}`),
            })
          : await client.claimStatus(id);
        out.result(status, () =>
          keyValues([
            ...statusLines(status),
            ["amount", `${status.amount} (fee ${status.fee}; smallest token units)`],
            ["recipient", status.recipient],
          ]),
        );
        if (status.status === "failed") process.exitCode = 1;
      }),
    );
}
